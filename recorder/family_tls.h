/*
 * family_tls.h - what the tls family (TLS handshakes through libssl) tells
 * the rest of the recorder.
 */
#ifndef FR_FAMILY_TLS_H
#define FR_FAMILY_TLS_H

#include <stdint.h>

#include "flightrec.h"

struct probes;

/* Process PID exec'd: its maps are read at the next tick for a libssl not attached yet. */
void tls_note_exec(struct probes *p, uint32_t pid);

/* The tls record that ring event E stands for: addresses as text, the error and the library named. */
void tls_expand(struct probes *p, const struct fr_tls_event *e, struct fr_tls *r);

#endif
