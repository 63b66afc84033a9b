/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tg_alert.h
 * The one table that maps every failure to the TLS alert it sends.
 */
#ifndef TG_ALERT_H
#define TG_ALERT_H

#include <stdint.h>

#include "tg_tls.h"

/** Alert description (::tg_alert) for error code @p err (::tg_err). */
uint8_t tg_alert_of(int err);

/** Error code for an alert received from the peer. */
int tg_alert_to_err(uint8_t alert);

/** Name of an alert description ("decode_error"...). */
const char *tg_alert_name(uint8_t alert);

#endif
