/* How a NAT picks ports (es-port-allocation.h): the classification that
 * netcheck and the gatherer share, sequential prediction, and what a
 * reflexive candidate tells the peer about its NAT.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-candidate.h"
#include "es-port-allocation.h"

static EsPortAllocation
classify (const guint16 *local,
          const guint16 *mapped,
          guint          n,
          int           *delta)
{
  EsPortSample samples[16];

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (samples));
  for (guint i = 0; i < n; i++)
    samples[i] = (EsPortSample) { local[i], mapped[i] };
  return es_port_allocation_classify (samples, n, delta);
}

static void
test_classify (void)
{
  const guint16 local[] = { 50001, 50002, 50003, 50004, 50005 };
  const guint16 sequential[] = { 40000, 40001, 40002, 40003, 40004 };
  const guint16 with_other_flows[] = { 40010, 40012, 40013, 40015, 40016 };
  const guint16 step_of_two[] = { 40000, 40002, 40004, 40006, 40008 };
  const guint16 random[] = { 31877, 5120, 61002, 44100, 9001 };
  const guint16 too_far[] = { 40000, 40001, 40030, 40031, 40032 };
  const guint16 going_down[] = { 40004, 40003, 40002, 40001, 40000 };
  int delta = -1;

  g_assert_cmpint (classify (local, local, 5, &delta), ==, ES_PORT_ALLOCATION_PRESERVING);
  g_assert_cmpint (delta, ==, 0);
  g_assert_cmpint (classify (local, sequential, 5, &delta), ==, ES_PORT_ALLOCATION_SEQUENTIAL);
  g_assert_cmpint (delta, ==, 1);
  /* Other flows took some ports between the samples: the usual step wins. */
  g_assert_cmpint (classify (local, with_other_flows, 5, &delta), ==,
                   ES_PORT_ALLOCATION_SEQUENTIAL);
  g_assert_cmpint (delta, ==, 1);
  g_assert_cmpint (classify (local, step_of_two, 5, &delta), ==, ES_PORT_ALLOCATION_SEQUENTIAL);
  g_assert_cmpint (delta, ==, 2);
  g_assert_cmpint (classify (local, random, 5, &delta), ==, ES_PORT_ALLOCATION_RANDOM);
  g_assert_cmpint (delta, ==, 0);
  g_assert_cmpint (classify (local, too_far, 5, &delta), ==, ES_PORT_ALLOCATION_RANDOM);
  g_assert_cmpint (classify (local, going_down, 5, &delta), ==, ES_PORT_ALLOCATION_RANDOM);
  /* Four samples are not enough to name a pattern. */
  g_assert_cmpint (classify (local, sequential, ES_PORT_ALLOCATION_SAMPLES - 1, &delta), ==,
                   ES_PORT_ALLOCATION_UNKNOWN);
}

static void
test_predict (void)
{
  guint16 ports[8];

  g_assert_cmpuint (es_port_allocation_predict (40004, 1, 4, ports), ==, 4);
  g_assert_cmpuint (ports[0], ==, 40005);
  g_assert_cmpuint (ports[3], ==, 40008);

  g_assert_cmpuint (es_port_allocation_predict (40004, 3, 2, ports), ==, 2);
  g_assert_cmpuint (ports[0], ==, 40007);
  g_assert_cmpuint (ports[1], ==, 40010);

  /* Past 65535 a NAT starts again at the first unprivileged port. */
  g_assert_cmpuint (es_port_allocation_predict (65534, 1, 3, ports), ==, 3);
  g_assert_cmpuint (ports[0], ==, 65535);
  g_assert_cmpuint (ports[1], ==, 1024);
  g_assert_cmpuint (ports[2], ==, 1025);

  /* Nothing to predict from. */
  g_assert_cmpuint (es_port_allocation_predict (0, 1, 4, ports), ==, 0);
  g_assert_cmpuint (es_port_allocation_predict (40000, 0, 4, ports), ==, 0);
  g_assert_cmpuint (es_port_allocation_predict (40000, ES_PORT_ALLOCATION_MAX_DELTA + 1, 4,
                                                ports), ==, 0);
}

static void
test_roles (void)
{
  EsNatBehaviour eim = { ES_NAT_MAPPING_ENDPOINT_INDEPENDENT, ES_PORT_ALLOCATION_RANDOM, 0, 0 };
  EsNatBehaviour preserving = { ES_NAT_MAPPING_UNKNOWN, ES_PORT_ALLOCATION_PRESERVING, 0, 0 };
  EsNatBehaviour random = { ES_NAT_MAPPING_UNKNOWN, ES_PORT_ALLOCATION_RANDOM, 0, 0 };
  EsNatBehaviour symmetric = { ES_NAT_MAPPING_ADDRESS_AND_PORT_DEPENDENT,
                               ES_PORT_ALLOCATION_PRESERVING, 0, 0 };
  EsNatBehaviour sequential = { ES_NAT_MAPPING_ADDRESS_AND_PORT_DEPENDENT,
                                ES_PORT_ALLOCATION_SEQUENTIAL, 1, 40004 };
  EsNatBehaviour unknown = { 0 };

  /* An endpoint-independent mapping is easy whatever new sockets get. */
  g_assert_true (es_nat_behaviour_is_easy (&eim));
  g_assert_false (es_nat_behaviour_is_random (&eim));
  g_assert_true (es_nat_behaviour_is_easy (&preserving));
  g_assert_true (es_nat_behaviour_is_random (&random));
  /* A measured dependent mapping is not easy, even with kept ports. */
  g_assert_false (es_nat_behaviour_is_easy (&symmetric));
  g_assert_false (es_nat_behaviour_is_random (&symmetric));
  g_assert_true (es_nat_behaviour_is_predictable (&sequential));
  g_assert_false (es_nat_behaviour_is_predictable (&random));
  g_assert_false (es_nat_behaviour_is_easy (&unknown));
  g_assert_false (es_nat_behaviour_is_random (&unknown));
  g_assert_false (es_nat_behaviour_is_predictable (&unknown));
}

static EsCandidate *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  return es_candidate_from_json (json_node_get_object (json_parser_get_root (parser)), NULL);
}

static void
test_candidate_carries_nat (void)
{
  g_autoptr(GInetSocketAddress) address =
    G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("203.0.113.1", 40002));
  g_autoptr(EsCandidate) candidate = es_candidate_new (ES_CANDIDATE_REFLEXIVE, address);
  g_autoptr(EsCandidate) copy = NULL;
  g_autoptr(EsCandidate) parsed = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  candidate->nat = (EsNatBehaviour) { ES_NAT_MAPPING_ADDRESS_AND_PORT_DEPENDENT,
                                      ES_PORT_ALLOCATION_SEQUENTIAL, 1, 40004 };
  object = es_candidate_to_json (candidate);
  g_assert_cmpstr (json_object_get_string_member (object, "port_allocation"), ==, "sequential");
  g_assert_cmpint (json_object_get_int_member (object, "delta"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object, "last_port"), ==, 40004);
  g_assert_cmpstr (json_object_get_string_member (object, "mapping"), ==,
                   "address-and-port-dependent");

  json_node_set_object (node, object);
  text = json_to_string (node, FALSE);
  parsed = parse (text);
  g_assert_nonnull (parsed);
  g_assert_true (es_candidate_equal (parsed, candidate));
  g_assert_true (es_nat_behaviour_is_predictable (&parsed->nat));

  /* A different NAT description is a different candidate: a new one goes
   * out with a higher generation. */
  copy = es_candidate_copy (candidate);
  copy->nat.last_port = 40010;
  g_assert_false (es_candidate_equal (copy, candidate));
}

static void
test_candidate_nat_checked (void)
{
  g_autoptr(EsCandidate) bad_delta = parse ("{\"type\":\"reflexive\",\"address\":\"203.0.113.1:4000\","
                                            "\"priority\":1,\"port_allocation\":\"sequential\","
                                            "\"delta\":5000,\"last_port\":4000}");
  g_autoptr(EsCandidate) bad_port = parse ("{\"type\":\"reflexive\",\"address\":\"203.0.113.1:4000\","
                                           "\"priority\":1,\"port_allocation\":\"random\","
                                           "\"last_port\":70000}");
  g_autoptr(EsCandidate) host = parse ("{\"type\":\"host\",\"address\":\"192.168.1.2:4000\","
                                       "\"priority\":1,\"port_allocation\":\"random\"}");
  g_autoptr(EsCandidate) predicted = parse ("{\"type\":\"predicted\",\"address\":\"203.0.113.1:4000\","
                                            "\"priority\":1}");
  g_autoptr(EsCandidate) birthday = parse ("{\"type\":\"birthday\",\"address\":\"203.0.113.1:4000\","
                                           "\"priority\":1}");

  /* A step too large to predict from is no sequential NAT; the candidate stays. */
  g_assert_nonnull (bad_delta);
  g_assert_cmpint (bad_delta->nat.allocation, ==, ES_PORT_ALLOCATION_UNKNOWN);
  g_assert_false (es_nat_behaviour_is_predictable (&bad_delta->nat));
  g_assert_nonnull (bad_port);
  g_assert_cmpint (bad_port->nat.last_port, ==, 0);
  /* Only reflexive candidates describe a NAT. */
  g_assert_nonnull (host);
  g_assert_cmpint (host->nat.allocation, ==, ES_PORT_ALLOCATION_UNKNOWN);
  /* Predicted and birthday candidates are made here, never taken from a peer. */
  g_assert_null (predicted);
  g_assert_null (birthday);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/port-allocation/classify", test_classify);
  g_test_add_func ("/port-allocation/predict", test_predict);
  g_test_add_func ("/port-allocation/roles", test_roles);
  g_test_add_func ("/port-allocation/candidate-carries-nat", test_candidate_carries_nat);
  g_test_add_func ("/port-allocation/candidate-nat-checked", test_candidate_nat_checked);
  return g_test_run ();
}
