/* Fuzz target: STUN (RFC 8489) as it arrives on the call socket, read both
 * as a Binding response to a request of ours (plain, and under short-term
 * credentials) and as a Binding request to answer (the relay's service,
 * and an ICE check). Inputs get the transaction id of our requests grafted
 * in, so that mutations reach past the transaction match.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdint.h>
#include <string.h>

#include "es-stun.h"

#define USERNAME "remoteufrag:localufrag"
#define PASSWORD "the-remote-password-22chars"
#define TRANSACTION_ID_OFFSET 8

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
parse_as_response (EsStunRequest *request,
                   const uint8_t *data,
                   size_t         size)
{
  g_autofree guint8 *grafted = g_memdup2 (data, size);
  g_autoptr(GInetSocketAddress) first = NULL;
  g_autoptr(GInetSocketAddress) second = NULL;

  first = es_stun_request_parse_response (request, data, size, NULL);
  if (size >= TRANSACTION_ID_OFFSET + ES_STUN_TRANSACTION_ID_SIZE)
    {
      memcpy (grafted + TRANSACTION_ID_OFFSET, es_stun_request_get_transaction_id (request),
              ES_STUN_TRANSACTION_ID_SIZE);
      second = es_stun_request_parse_response (request, grafted, size, NULL);
    }
  /* One answer per transaction, whatever comes in. */
  g_assert_true (first == NULL || second == NULL);
}

static void
answer_request (const uint8_t      *data,
                size_t              size,
                GInetSocketAddress *source,
                const char         *username,
                const char         *password)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  gboolean answered;

  answered = es_stun_answer_binding_request (data, size, source, username, password,
                                             &response, &error);
  g_assert_true (answered == (error == NULL));
  g_assert_true (!answered || response != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(EsStunRequest) plain = es_stun_request_new (NULL, NULL);
  g_autoptr(EsStunRequest) checked = es_stun_request_new (USERNAME, PASSWORD);
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string ("2001:db8::1");
  g_autoptr(GSocketAddress) source = g_inet_socket_address_new (ip, 4433);
  g_autoptr(GInetSocketAddress) other = NULL;

  parse_as_response (plain, data, size);
  parse_as_response (checked, data, size);
  answer_request (data, size, G_INET_SOCKET_ADDRESS (source), NULL, NULL);
  answer_request (data, size, G_INET_SOCKET_ADDRESS (source), USERNAME, PASSWORD);
  /* RFC 5780's OTHER-ADDRESS, which netcheck reads from answers. */
  g_clear_object (&other);
  other = es_stun_response_get_other_address (data, size);
  return 0;
}
