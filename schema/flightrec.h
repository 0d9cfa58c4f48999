/*
 * flightrec.h - record structs shared by bpf/, recorder/ and replay/.
 *
 * The structs below are generated from records.def.  They are the in-memory
 * and ring-buffer form of a record: native byte order, natural alignment,
 * allowed to change between releases.  They are never written to disk as
 * they are: schema/record.c encodes them field by field, little-endian,
 * as FORMAT.md describes.
 *
 * This header is included by BPF programs (after vmlinux.h, which defines
 * the __uN types) and by user space (which gets them from linux/types.h), so
 * it must not include any libc header.
 */
#ifndef FLIGHTREC_H
#define FLIGHTREC_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FR_COMM_LEN 16

/* Every ring-buffer event starts with this; it is not part of the format. */
struct fr_head {
	__u32 kind;
	__u32 size; /* sizeof the whole event, checked by the consumer */
};

#define FR_T_TS __u64
#define FR_T_U8 __u8
#define FR_T_U16 __u16
#define FR_T_U32 __u32
#define FR_T_U64 __u64
#define FR_T_S32 __s32
#define FR_T_S64 __s64

/* Record kind numbers: FR_KIND_EXEC, ... */
enum fr_kind {
	FR_KIND_NONE = 0,
#define RECORD(ID, NAME, TABLE, DOC) FR_KIND_##NAME = ID,
#define FIELD(REC, NAME, TYPE, DOC)
#define STR(REC, NAME, SIZE, DOC)
#define STRV(REC, NAME, SIZE, DOC)
#define END(REC)
#include "records.def"
#undef RECORD
#undef FIELD
#undef STR
#undef STRV
#undef END
};

/* Kind numbers are below this (arrays indexed by kind use it). */
#define FR_KIND_MAX 64

/* struct fr_exec, struct fr_fork, ... */
#define RECORD(ID, NAME, TABLE, DOC) struct fr_##NAME { struct fr_head head;
#define FIELD(REC, NAME, TYPE, DOC) FR_T_##TYPE NAME;
#define STR(REC, NAME, SIZE, DOC) char NAME[SIZE];
#define STRV(REC, NAME, SIZE, DOC) __u16 NAME##_len; char NAME[SIZE];
#define END(REC) };
#include "records.def"
#undef RECORD
#undef FIELD
#undef STR
#undef STRV
#undef END

/*
 * Ring-only events: not records, never on disk, and not part of this
 * contract.  A family's BPF program sends them and its family turns each
 * into the record it stands for (recorder/probes.h, .events).  They are the
 * ring ABI, which may change between releases, so each lives beside its
 * BPF program; their kinds start at FR_KIND_MAX and are listed here only
 * so that two families never take the same number:
 *
 *   FR_KIND_MAX + 1  FR_EV_SYSCALL_BRIEF  bpf/syscall_abi.bpf.h
 *   FR_KIND_MAX + 2  FR_EV_FUNC           bpf/uprobe.bpf.h
 *   FR_KIND_MAX + 3  FR_EV_DNS            bpf/dns.bpf.h
 *   FR_KIND_MAX + 4  FR_EV_TLS            bpf/tls.bpf.h
 *   FR_KIND_MAX + 5  FR_EV_HTTP           bpf/http_event.bpf.h
 *   FR_KIND_MAX + 6  FR_EV_CRASH          bpf/profile.bpf.h
 *   FR_KIND_MAX + 7  FR_EV_OFFCPU         bpf/profile.bpf.h
 */

/* Sources named in drop records. */
#define FR_DROP_RINGBUF "ringbuf"
#define FR_DROP_WRITER "writer"
#define FR_CPU_NONE 0xffffffffu

#endif /* FLIGHTREC_H */
