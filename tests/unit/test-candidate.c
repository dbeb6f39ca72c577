/* test-candidate.c: candidates as they travel in offers, answers and
 * `candidates` updates (docs/protocol.md §5), read strictly because a peer
 * writes them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "es-address.h"
#include "es-candidate.h"
#include "es-error.h"
#include "es-json.h"

static EsCandidate *
candidate_from_text (const char  *json,
                     GError     **error)
{
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonObject) object = es_json_from_string (json, -1, &parse_error);

  g_assert_no_error (parse_error);
  return es_candidate_from_json (object, error);
}

static EsCandidate *
new_candidate (EsCandidateType  type,
               const char      *text)
{
  g_autoptr(GInetSocketAddress) address = es_address_parse (text, NULL);

  g_assert_nonnull (address);
  return es_candidate_new (type, address);
}

static void
test_round_trip (void)
{
  const struct {
    EsCandidateType type;
    const char *address;
  } cases[] = {
    { ES_CANDIDATE_HOST, "192.168.1.100:40000" },
    { ES_CANDIDATE_HOST, "[2001:db8:1::100]:40000" },
    { ES_CANDIDATE_MAPPED, "203.0.113.1:50000" },
    { ES_CANDIDATE_REFLEXIVE, "198.51.100.1:61000" },
    { ES_CANDIDATE_PEER_REFLEXIVE, "[2001:db8::2]:1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EsCandidate) sent = new_candidate (cases[i].type, cases[i].address);
      g_autoptr(JsonObject) object = es_candidate_to_json (sent);
      g_autoptr(GError) error = NULL;
      g_autoptr(EsCandidate) received = es_candidate_from_json (object, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (received->text, ==, cases[i].address);
      g_assert_cmpint (received->type, ==, cases[i].type);
      g_assert_cmpuint (received->priority, ==, sent->priority);
      g_assert_true (es_candidate_equal (sent, received));
    }
}

static void
test_relay_keeps_its_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsCandidate) relay = candidate_from_text (
    "{\"type\":\"relay\",\"address\":\"relay.example.org:4433\",\"priority\":0}", &error);

  g_assert_no_error (error);
  g_assert_cmpint (relay->type, ==, ES_CANDIDATE_RELAY);
  g_assert_null (relay->address);
  g_assert_cmpstr (relay->text, ==, "relay.example.org:4433");
}

/* A v4-mapped IPv6 address is the IPv4 address it maps, so that a pair is
 * never checked twice. */
static void
test_mapped_ipv4_is_unmapped (void)
{
  g_autoptr(EsCandidate) candidate = new_candidate (ES_CANDIDATE_HOST, "[::ffff:192.0.2.7]:9");

  g_assert_cmpstr (candidate->text, ==, "192.0.2.7:9");
  g_assert_false (es_candidate_is_ipv6 (candidate));
}

static void
test_refuses_bad_candidates (void)
{
  static const char * const bad[] = {
    "{\"address\":\"192.0.2.1:5\",\"priority\":1}",                           /* no type */
    "{\"type\":\"host\",\"priority\":1}",                                     /* no address */
    "{\"type\":\"host\",\"address\":\"192.0.2.1:5\"}",                        /* no priority */
    "{\"type\":\"host\",\"address\":\"192.0.2.1:5\",\"priority\":-1}",
    "{\"type\":\"host\",\"address\":\"192.0.2.1:5\",\"priority\":4294967296}",
    "{\"type\":\"host\",\"address\":\"192.0.2.1:5\",\"priority\":\"1\"}",
    "{\"type\":\"host\",\"address\":\"192.0.2.1:0\",\"priority\":1}",         /* port 0 */
    "{\"type\":\"host\",\"address\":\"192.0.2.1\",\"priority\":1}",           /* no port */
    "{\"type\":\"host\",\"address\":\"victim.example:53\",\"priority\":1}",   /* a name */
    "{\"type\":\"host\",\"address\":\"192.0.2.1:70000\",\"priority\":1}",
    "{\"type\":\"tunnel\",\"address\":\"192.0.2.1:5\",\"priority\":1}",       /* unknown type */
    "{\"type\":7,\"address\":\"192.0.2.1:5\",\"priority\":1}",
    /* Only this side works out predicted and birthday candidates. */
    "{\"type\":\"predicted\",\"address\":\"192.0.2.1:5\",\"priority\":1}",
    "{\"type\":\"birthday\",\"address\":\"192.0.2.1:5\",\"priority\":1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(EsCandidate) candidate = candidate_from_text (bad[i], &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (candidate);
      g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
    }
}

/* Dial order: host, mapped, reflexive, relay; IPv6 first among equals. */
static void
test_order (void)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) es_candidate_free);
  const char * const expected[] = {
    "[2001:db8::1]:1", "10.0.0.1:1", "203.0.113.9:2", "198.51.100.1:3", "relay:4433",
  };

  g_ptr_array_add (list, es_candidate_new_relay ("relay:4433"));
  g_ptr_array_add (list, new_candidate (ES_CANDIDATE_REFLEXIVE, "198.51.100.1:3"));
  g_ptr_array_add (list, new_candidate (ES_CANDIDATE_HOST, "10.0.0.1:1"));
  g_ptr_array_add (list, new_candidate (ES_CANDIDATE_MAPPED, "203.0.113.9:2"));
  g_ptr_array_add (list, new_candidate (ES_CANDIDATE_HOST, "[2001:db8::1]:1"));
  g_ptr_array_sort (list, es_candidate_compare);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (((EsCandidate *) list->pdata[i])->text, ==, expected[i]);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/candidate/round-trip", test_round_trip);
  g_test_add_func ("/candidate/relay-keeps-its-name", test_relay_keeps_its_name);
  g_test_add_func ("/candidate/mapped-ipv4-is-unmapped", test_mapped_ipv4_is_unmapped);
  g_test_add_func ("/candidate/refuses-bad-candidates", test_refuses_bad_candidates);
  g_test_add_func ("/candidate/order", test_order);

  return g_test_run ();
}
