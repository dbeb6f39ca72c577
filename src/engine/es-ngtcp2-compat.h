/* es-ngtcp2-compat.h: the few names that differ between ngtcp2 0.12 and 1.x
 *
 * Debian 12 ships 0.12; a Flatpak will bundle 1.x. The engine is written
 * against the es_ngtcp2_ names below, which map to whichever library is
 * present. Only what the engine uses is here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <ngtcp2/ngtcp2.h>

#if NGTCP2_VERSION_NUM < 0x010000

typedef ngtcp2_connection_close_error es_ngtcp2_ccerr;
typedef ngtcp2_conn_stat es_ngtcp2_conn_info;

#define ES_NGTCP2_CCERR_TYPE_TRANSPORT NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT
#define ES_NGTCP2_CCERR_TYPE_APPLICATION NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION

#define es_ngtcp2_ccerr_default ngtcp2_connection_close_error_default
#define es_ngtcp2_ccerr_set_liberr ngtcp2_connection_close_error_set_transport_error_liberr
#define es_ngtcp2_ccerr_set_tls_alert ngtcp2_connection_close_error_set_transport_error_tls_alert
#define es_ngtcp2_ccerr_set_application_error ngtcp2_connection_close_error_set_application_error
#define es_ngtcp2_conn_get_conn_info ngtcp2_conn_get_conn_stat

static inline void
es_ngtcp2_conn_get_ccerr (ngtcp2_conn     *conn,
                          es_ngtcp2_ccerr *ccerr)
{
  ngtcp2_conn_get_connection_close_error (conn, ccerr);
}

/* Before the first RTT sample, 0.12 paces with the 333 ms initial RTT and
 * holds the client's second flight ~21 ms (fixed in 0.14): the pacing clock
 * is only advanced once an RTT has been measured. */
static inline int
es_ngtcp2_conn_may_pace (ngtcp2_conn *conn)
{
  ngtcp2_conn_stat stat;

  ngtcp2_conn_get_conn_stat (conn, &stat);
  return stat.first_rtt_sample_ts != UINT64_MAX;
}

#define ES_NGTCP2_SET_ORIGINAL_DCID(params, cid) ((params)->original_dcid = *(cid))

#else

typedef ngtcp2_ccerr es_ngtcp2_ccerr;
typedef ngtcp2_conn_info es_ngtcp2_conn_info;

#define ES_NGTCP2_CCERR_TYPE_TRANSPORT NGTCP2_CCERR_TYPE_TRANSPORT
#define ES_NGTCP2_CCERR_TYPE_APPLICATION NGTCP2_CCERR_TYPE_APPLICATION

#define es_ngtcp2_ccerr_default ngtcp2_ccerr_default
#define es_ngtcp2_ccerr_set_liberr ngtcp2_ccerr_set_liberr
#define es_ngtcp2_ccerr_set_tls_alert ngtcp2_ccerr_set_tls_alert
#define es_ngtcp2_ccerr_set_application_error ngtcp2_ccerr_set_application_error
#define es_ngtcp2_conn_get_conn_info ngtcp2_conn_get_conn_info

static inline void
es_ngtcp2_conn_get_ccerr (ngtcp2_conn     *conn,
                          es_ngtcp2_ccerr *ccerr)
{
  *ccerr = *ngtcp2_conn_get_ccerr (conn);
}

static inline int
es_ngtcp2_conn_may_pace (ngtcp2_conn *conn)
{
  (void) conn;
  return 1;
}

/* 1.x asserts (even in release builds) unless a server says it is set. */
#define ES_NGTCP2_SET_ORIGINAL_DCID(params, cid) \
  ((params)->original_dcid = *(cid), (params)->original_dcid_present = 1)

#endif
