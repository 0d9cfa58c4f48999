/*
 * family_profile.h - what the rest of the recorder asks of the profile
 * family (recorder/family_profile.c): the symbols of its frames, which the
 * archive writer names in each snapshot's symbols.txt.
 */
#ifndef FR_FAMILY_PROFILE_H
#define FR_FAMILY_PROFILE_H

struct probe_family;
struct symbols;

extern const struct probe_family family_profile;

/* The symbols of the open profile family's STATE (probes_state()), NULL when it is not open. */
struct symbols *profile_symbols(void *state);

#endif
