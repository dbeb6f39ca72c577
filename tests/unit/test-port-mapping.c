/* NAT-PMP (RFC 6886) and PCP (RFC 6887) messages, epochs, and the gateway
 * reader, against the layouts the RFCs give byte by byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "es-error.h"
#include "es-gateway.h"
#include "es-nat-pmp.h"
#include "es-pcp.h"

static void
assert_bytes (GBytes       *bytes,
              const guint8 *expected,
              gsize         expected_length)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);

  g_assert_cmpmem (data, length, expected, expected_length);
}

/* ---- NAT-PMP ------------------------------------------------------------------ */

/* RFC 6886 §3.2: version 0, opcode 0. */
static void
test_nat_pmp_address_request (void)
{
  static const guint8 expected[] = { 0, 0 };
  g_autoptr(GBytes) request = es_nat_pmp_build_external_address_request ();

  assert_bytes (request, expected, sizeof expected);
}

/* RFC 6886 §3.3: version, opcode 1 (UDP), reserved, internal port,
 * suggested external port, lifetime, all big-endian. */
static void
test_nat_pmp_map_request (void)
{
  static const guint8 expected[] = {
    0, 1, 0, 0, 0x9c, 0x40, 0x9c, 0x41, 0x00, 0x00, 0x1c, 0x20,
  };
  static const guint8 release[] = { 0, 1, 0, 0, 0x9c, 0x40, 0, 0, 0, 0, 0, 0 };
  g_autoptr(GBytes) request = es_nat_pmp_build_map_request (40000, 40001, 7200);
  g_autoptr(GBytes) deletion = es_nat_pmp_build_map_request (40000, 0, 0);

  assert_bytes (request, expected, sizeof expected);
  /* §3.4: a deletion has lifetime 0 and suggested port 0. */
  assert_bytes (deletion, release, sizeof release);
}

static void
test_nat_pmp_parse_address (void)
{
  /* Version 0, opcode 128, result 0, epoch 1234, external 203.0.113.1. */
  static const guint8 answer[] = { 0, 128, 0, 0, 0, 0, 0x04, 0xd2, 203, 0, 113, 1 };
  EsNatPmpResponse response;
  g_autoptr(GError) error = NULL;

  g_assert_true (es_nat_pmp_parse_response (answer, sizeof answer, &response, &error));
  g_assert_no_error (error);
  g_assert_cmpint (response.opcode, ==, ES_NAT_PMP_OP_EXTERNAL_ADDRESS);
  g_assert_cmpuint (response.result, ==, 0);
  g_assert_cmpuint (response.epoch, ==, 1234);
  g_assert_cmpmem (response.external_address, 4, ((guint8[]) { 203, 0, 113, 1 }), 4);
}

static void
test_nat_pmp_parse_map (void)
{
  /* Opcode 129, result 0, epoch 7, internal 40000, external 50000, 3600 s. */
  static const guint8 answer[] = {
    0, 129, 0, 0, 0, 0, 0, 7, 0x9c, 0x40, 0xc3, 0x50, 0, 0, 0x0e, 0x10,
  };
  EsNatPmpResponse response;

  g_assert_true (es_nat_pmp_parse_response (answer, sizeof answer, &response, NULL));
  g_assert_cmpint (response.opcode, ==, ES_NAT_PMP_OP_MAP_UDP);
  g_assert_cmpuint (response.internal_port, ==, 40000);
  g_assert_cmpuint (response.external_port, ==, 50000);
  g_assert_cmpuint (response.lifetime_s, ==, 3600);
  g_assert_cmpuint (response.epoch, ==, 7);
}

static void
test_nat_pmp_parse_error_result (void)
{
  /* §3.5: an error answer may be just the 8-byte header; it parses, with
   * its result code for the caller to report. */
  static const guint8 refused[] = { 0, 129, 0, 2, 0, 0, 0, 9 };
  EsNatPmpResponse response;

  g_assert_true (es_nat_pmp_parse_response (refused, sizeof refused, &response, NULL));
  g_assert_cmpuint (response.result, ==, ES_NAT_PMP_RESULT_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (es_nat_pmp_result_to_string (response.result), "not authorized"));
  g_assert_nonnull (strstr (es_nat_pmp_result_to_string (99), "unknown"));
}

static void
test_nat_pmp_parse_bad (void)
{
  static const guint8 short_map[] = { 0, 129, 0, 0, 0, 0, 0, 7, 0x9c, 0x40, 0xc3, 0x50, 0, 0 };
  static const guint8 long_address[] = { 0, 128, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5 };
  static const guint8 request[] = { 0, 1, 0, 0, 0, 0, 0, 1 };
  static const guint8 pcp[] = { 2, 129, 0, 0, 0, 0, 0, 1 };
  static const guint8 unknown_opcode[] = { 0, 131, 0, 0, 0, 0, 0, 1 };
  static const guint8 tiny[] = { 0, 128, 0 };
  const struct { const guint8 *data; gsize length; const char *says; } cases[] = {
    { short_map, sizeof short_map, "14 bytes where 16" },
    { long_address, sizeof long_address, "13 bytes where 12" },
    { request, sizeof request, "not an answer" },
    { pcp, sizeof pcp, "version 2" },
    { unknown_opcode, sizeof unknown_opcode, "not an answer" },
    { tiny, sizeof tiny, "too short" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      EsNatPmpResponse response;
      g_autoptr(GError) error = NULL;

      g_assert_false (es_nat_pmp_parse_response (cases[i].data, cases[i].length, &response, &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, cases[i].says));
    }
}

/* §3.6: the epoch must advance at least 7/8 as fast as the client's clock. */
static void
test_nat_pmp_epoch (void)
{
  gint64 t0 = (gint64) 1000 * G_USEC_PER_SEC;

  g_assert_true (es_nat_pmp_epoch_is_continuous (500, t0, 600, t0 + 100 * G_USEC_PER_SEC));
  g_assert_true (es_nat_pmp_epoch_is_continuous (500, t0, 590, t0 + 100 * G_USEC_PER_SEC));
  /* The router restarted: its epoch began again. */
  g_assert_false (es_nat_pmp_epoch_is_continuous (500, t0, 3, t0 + 100 * G_USEC_PER_SEC));
  /* Too slow to be the same epoch: 50 s passed on the router in 100 s here. */
  g_assert_false (es_nat_pmp_epoch_is_continuous (500, t0, 550, t0 + 100 * G_USEC_PER_SEC));
}

/* ---- PCP ---------------------------------------------------------------------- */

static const guint8 nonce[ES_PORT_MAP_NONCE_SIZE] = {
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
};

/* RFC 6887 §7.1 header and §11.1 MAP payload, IPv4 client 192.168.1.100. */
static void
test_pcp_map_request_ipv4 (void)
{
  static const guint8 expected[60] = {
    2, 1, 0, 0,                     /* version, R=0 opcode MAP, reserved */
    0, 0, 0x1c, 0x20,               /* lifetime 7200 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 100,
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    17, 0, 0, 0,                    /* UDP, reserved */
    0x9c, 0x40, 0x9c, 0x40,         /* internal 40000, suggested 40000 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0,   /* any IPv4 */
  };
  g_autoptr(GInetAddress) client = g_inet_address_new_from_string ("192.168.1.100");
  g_autoptr(GBytes) request = es_pcp_build_map_request (client, nonce, 40000, NULL, 40000, 7200);

  assert_bytes (request, expected, sizeof expected);
}

static void
test_pcp_map_request_ipv6 (void)
{
  g_autoptr(GInetAddress) client = g_inet_address_new_from_string ("2001:db8:1::100");
  g_autoptr(GBytes) request = es_pcp_build_map_request (client, nonce, 40000, NULL, 0, 7200);
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (request, &length);
  static const guint8 zero[16] = { 0 };

  g_assert_cmpuint (length, ==, 60);
  g_assert_cmpmem (data + 8, 16, g_inet_address_to_bytes (client), 16);
  /* Any IPv6 address: all zero. */
  g_assert_cmpmem (data + 44, 16, zero, 16);
}

static void
build_map_answer (guint8  *answer,
                  guint8   result,
                  guint16  external_port)
{
  memset (answer, 0, 60);
  answer[0] = 2;
  answer[1] = 0x80 | ES_PCP_OP_MAP;
  answer[3] = result;
  answer[7] = 120;                 /* lifetime 120 */
  answer[11] = 42;                 /* epoch 42 */
  memcpy (answer + 24, nonce, sizeof nonce);
  answer[36] = 17;
  answer[40] = 0x9c;               /* internal 40000 */
  answer[41] = 0x40;
  answer[42] = (guint8) (external_port >> 8);
  answer[43] = (guint8) external_port;
  answer[54] = 0xff;
  answer[55] = 0xff;
  answer[56] = 203;
  answer[57] = 0;
  answer[58] = 113;
  answer[59] = 1;
}

static void
test_pcp_parse_map (void)
{
  guint8 answer[60];
  EsPcpResponse response;
  g_autoptr(GInetAddress) external = NULL;
  g_autofree char *text = NULL;

  build_map_answer (answer, ES_PCP_RESULT_SUCCESS, 50000);
  g_assert_true (es_pcp_parse_response (answer, sizeof answer, &response, NULL));
  g_assert_cmpint (response.opcode, ==, ES_PCP_OP_MAP);
  g_assert_true (response.has_map_payload);
  g_assert_cmpuint (response.lifetime_s, ==, 120);
  g_assert_cmpuint (response.epoch, ==, 42);
  g_assert_cmpmem (response.nonce, sizeof nonce, nonce, sizeof nonce);
  g_assert_cmpuint (response.internal_port, ==, 40000);
  g_assert_cmpuint (response.external_port, ==, 50000);
  external = es_pcp_address_from_bytes (response.external_address);
  text = g_inet_address_to_string (external);
  g_assert_cmpstr (text, ==, "203.0.113.1");
}

static void
test_pcp_parse_options (void)
{
  guint8 answer[60 + 8];
  EsPcpResponse response;
  g_autoptr(GError) error = NULL;

  build_map_answer (answer, ES_PCP_RESULT_SUCCESS, 50000);
  /* §7.3: a THIRD_PARTY-like option with 4 bytes of data, well framed. */
  memcpy (answer + 60, ((guint8[]) { 1, 0, 0, 4, 9, 9, 9, 9 }), 8);
  g_assert_true (es_pcp_parse_response (answer, sizeof answer, &response, NULL));
  /* An option that claims more than the message holds. */
  answer[63] = 40;
  g_assert_false (es_pcp_parse_response (answer, sizeof answer, &response, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "options"));
}

static void
test_pcp_parse_error_result (void)
{
  guint8 answer[60];
  guint8 header_only[24];
  EsPcpResponse response;

  build_map_answer (answer, ES_PCP_RESULT_NOT_AUTHORIZED, 0);
  g_assert_true (es_pcp_parse_response (answer, sizeof answer, &response, NULL));
  g_assert_cmpuint (response.result, ==, ES_PCP_RESULT_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (es_pcp_result_to_string (response.result), "not authorized"));
  /* An error may come without the payload. */
  memcpy (header_only, answer, sizeof header_only);
  g_assert_true (es_pcp_parse_response (header_only, sizeof header_only, &response, NULL));
  g_assert_false (response.has_map_payload);
  g_assert_nonnull (strstr (es_pcp_result_to_string (200), "unknown"));
}

static void
test_pcp_parse_bad (void)
{
  guint8 answer[60];
  EsPcpResponse response;
  static const guint8 nat_pmp[] = { 0, 129, 0, 1, 0, 0, 0, 1 };
  const struct { gsize length; guint offset; guint8 value; const char *says; } cases[] = {
    { 56, 0, 2, "at least 60" },                /* cut short */
    { 58, 0, 2, "a multiple of 4" },
    { 60, 0, 3, "version 3" },
    { 60, 1, ES_PCP_OP_MAP, "not an answer" },  /* R bit clear */
    { 60, 1, 0x80 | 5, "opcode 5" },
    { 24, 1, 0x80 | ES_PCP_OP_MAP, "at least 60" }, /* success without payload */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      build_map_answer (answer, ES_PCP_RESULT_SUCCESS, 50000);
      answer[cases[i].offset] = cases[i].value;
      g_assert_false (es_pcp_parse_response (answer, cases[i].length, &response, &error));
      g_assert_error (error, ES_ERROR, ES_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, cases[i].says));
    }
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (es_pcp_parse_response (nat_pmp, sizeof nat_pmp, &response, &error));
    g_assert_nonnull (strstr (error->message, "does not speak PCP"));
  }
}

/* §8.5 */
static void
test_pcp_epoch (void)
{
  gint64 t0 = (gint64) 5000 * G_USEC_PER_SEC;

  g_assert_true (es_pcp_epoch_is_continuous (1000, t0, 1100, t0 + 100 * G_USEC_PER_SEC));
  g_assert_false (es_pcp_epoch_is_continuous (1000, t0, 10, t0 + 100 * G_USEC_PER_SEC));
  g_assert_false (es_pcp_epoch_is_continuous (1000, t0, 1030, t0 + 100 * G_USEC_PER_SEC));
  g_assert_false (es_pcp_epoch_is_continuous (1000, t0, 1400, t0 + 100 * G_USEC_PER_SEC));
}

/* ---- The gateway -------------------------------------------------------------- */

static const char ipv4_routes[] =
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
  "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
  "eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
  "eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
  "tun0\t00000000\t0103A8C0\t0001\t0\t0\t1\t00000000\t0\t0\t0\n";

static void
test_gateway_ipv4 (void)
{
  g_autoptr(EsGateway) gateway = es_gateway_parse_ipv4_routes (ipv4_routes, NULL, NULL);
  g_autofree char *address = NULL;
  const char * const wlan_only[] = { "wlan0", NULL };
  g_autoptr(EsGateway) wlan = es_gateway_parse_ipv4_routes (ipv4_routes, wlan_only, NULL);
  g_autofree char *wlan_address = NULL;

  /* The lowest metric wins; tun0's route is up but has no gateway flag. */
  g_assert_nonnull (gateway);
  address = g_inet_address_to_string (gateway->address);
  g_assert_cmpstr (address, ==, "192.168.2.1");
  g_assert_cmpstr (gateway->interface, ==, "eth0");
  /* EARSHOT_INTERFACES-style limits. */
  wlan_address = g_inet_address_to_string (wlan->address);
  g_assert_cmpstr (wlan_address, ==, "192.168.1.1");
}

static void
test_gateway_ipv4_none (void)
{
  static const char no_default[] =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n";
  static const char damaged[] = "Iface\tDestination\nnot a route at all\n";
  const char * const lo_only[] = { "lo", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) damaged_error = NULL;
  g_autoptr(GError) filtered_error = NULL;

  g_assert_null (es_gateway_parse_ipv4_routes (no_default, NULL, &error));
  g_assert_error (error, ES_ERROR, ES_ERROR_NOT_FOUND);
  g_assert_null (es_gateway_parse_ipv4_routes (damaged, NULL, &damaged_error));
  g_assert_error (damaged_error, ES_ERROR, ES_ERROR_DAMAGED);
  g_assert_null (es_gateway_parse_ipv4_routes (ipv4_routes, lo_only, &filtered_error));
  g_assert_error (filtered_error, ES_ERROR, ES_ERROR_NOT_FOUND);
}

static void
test_gateway_ipv6 (void)
{
  static const char routes[] =
    "20010db8000100000000000000000000 40 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "fe800000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
  g_autoptr(EsGateway) gateway = es_gateway_parse_ipv6_routes (routes, NULL, NULL);
  g_autofree char *address = NULL;
  g_autoptr(GInetSocketAddress) socket_address = NULL;

  g_assert_nonnull (gateway);
  address = g_inet_address_to_string (gateway->address);
  g_assert_cmpstr (address, ==, "fe80::1");
  g_assert_cmpstr (gateway->interface, ==, "eth0");
  g_assert_cmpuint (gateway->metric, ==, 0x400);
  /* A link-local gateway carries its interface as the scope. */
  socket_address = es_gateway_socket_address (gateway, 5351);
  g_assert_cmpuint (g_inet_socket_address_get_port (socket_address), ==, 5351);
}

static void
test_gateway_allowed_interfaces (void)
{
  g_auto(GStrv) allowed = NULL;

  g_setenv ("EARSHOT_INTERFACES", "lo, eth0,,", TRUE);
  allowed = es_gateway_allowed_interfaces ();
  g_assert_cmpuint (g_strv_length (allowed), ==, 2);
  g_assert_cmpstr (allowed[0], ==, "lo");
  g_assert_cmpstr (allowed[1], ==, "eth0");
  g_unsetenv ("EARSHOT_INTERFACES");
  g_assert_null (es_gateway_allowed_interfaces ());
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nat-pmp/address-request", test_nat_pmp_address_request);
  g_test_add_func ("/nat-pmp/map-request", test_nat_pmp_map_request);
  g_test_add_func ("/nat-pmp/parse-address", test_nat_pmp_parse_address);
  g_test_add_func ("/nat-pmp/parse-map", test_nat_pmp_parse_map);
  g_test_add_func ("/nat-pmp/parse-error-result", test_nat_pmp_parse_error_result);
  g_test_add_func ("/nat-pmp/parse-bad", test_nat_pmp_parse_bad);
  g_test_add_func ("/nat-pmp/epoch", test_nat_pmp_epoch);
  g_test_add_func ("/pcp/map-request-ipv4", test_pcp_map_request_ipv4);
  g_test_add_func ("/pcp/map-request-ipv6", test_pcp_map_request_ipv6);
  g_test_add_func ("/pcp/parse-map", test_pcp_parse_map);
  g_test_add_func ("/pcp/parse-options", test_pcp_parse_options);
  g_test_add_func ("/pcp/parse-error-result", test_pcp_parse_error_result);
  g_test_add_func ("/pcp/parse-bad", test_pcp_parse_bad);
  g_test_add_func ("/pcp/epoch", test_pcp_epoch);
  g_test_add_func ("/gateway/ipv4", test_gateway_ipv4);
  g_test_add_func ("/gateway/ipv4-none", test_gateway_ipv4_none);
  g_test_add_func ("/gateway/ipv6", test_gateway_ipv6);
  g_test_add_func ("/gateway/allowed-interfaces", test_gateway_allowed_interfaces);

  return g_test_run ();
}
