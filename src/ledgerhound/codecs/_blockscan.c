/*
 * ledgerhound.codecs._blockscan -- the compiled hot loop that turns raw Bitcoin blocks into
 * flat columns (see blockscan.py for the column contract and the pure-Python fallback).
 *
 * Why C: parsing is the ingest bottleneck; a tight loop over the bytes, hashing with OpenSSL's
 * SHA-256 (which uses SHA-NI / AVX2 when the CPU has them) gets within a small factor of the
 * double-SHA256 ceiling.  Rules follow codecs/tx.py (Core's UnserializeTransaction) exactly,
 * including the error messages and byte offsets, so both paths fail identically.
 *
 * Safety: every read is bounds-checked against the block buffer (sizes are compared as
 * "need > remaining", never "pos + need", so nothing overflows); on malformed input the scan
 * stops and raises ScanError(message, block_index, offset).  The GIL is released while scanning.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <Python.h>
#include <openssl/ripemd.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static PyObject *ScanError;

/* ---------------------------------------------------------------- growable buffers */
typedef struct {
    char *p;
    size_t len, cap;
} Buf;

static int buf_reserve(Buf *b, size_t extra) {
    if (b->cap - b->len >= extra) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2) return -1;
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const void *src, size_t n) {
    if (buf_reserve(b, n)) return -1;
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
    return 0;
}

static int put_i32(Buf *b, int32_t v) { return buf_put(b, &v, 4); }
static int put_i64(Buf *b, int64_t v) { return buf_put(b, &v, 8); }
static int put_u8(Buf *b, uint8_t v) { return buf_put(b, &v, 1); }
static int put_i8(Buf *b, int8_t v) { return buf_put(b, &v, 1); }

/* Column memory is recycled through a small pool (touched only with the GIL held): fresh pages
 * from the kernel cost a page fault + zeroing each, about a third of the scan time otherwise. */
#define POOL_SLOTS 160
#define POOL_MIN_CHUNK ((size_t)1 << 16)
#define POOL_MAX_BYTES ((size_t)256 << 20)
static struct {
    char *p;
    size_t cap;
} pool[POOL_SLOTS];
static size_t pool_n, pool_bytes;

static void pool_put(char *p, size_t cap) {
    if (p && cap >= POOL_MIN_CHUNK && pool_n < POOL_SLOTS && pool_bytes + cap <= POOL_MAX_BYTES) {
        pool[pool_n].p = p;
        pool[pool_n++].cap = cap;
        pool_bytes += cap;
    } else {
        free(p);
    }
}

/* Give the (empty) buffer the smallest pooled chunk holding `need` bytes, if any. */
static void pool_take(Buf *b, size_t need) {
    size_t best = pool_n;
    for (size_t i = 0; i < pool_n; i++)
        if (pool[i].cap >= need && (best == pool_n || pool[i].cap < pool[best].cap)) best = i;
    if (best == pool_n || b->p) return;
    b->p = pool[best].p;
    b->cap = pool[best].cap;
    pool_bytes -= pool[best].cap;
    pool[best] = pool[--pool_n];
}

/* ---------------------------------------------------------------- output columns */
#define COLUMNS(X)                                                                            \
    X(b_hash) X(b_prev) X(b_merkle) X(b_version) X(b_time) X(b_bits) X(b_nonce) X(b_tx_count) \
    X(b_size) X(b_stripped) X(b_weight) X(b_merkle_ok) X(b_witness)                           \
    X(t_block) X(t_txid) X(t_wtxid) X(t_index) X(t_version) X(t_locktime) X(t_size) X(t_vsize) \
    X(t_weight) X(t_coinbase) X(t_n_in) X(t_n_out) X(t_value)                                 \
    X(o_tx) X(o_vout) X(o_value) X(o_type) X(o_addr_off) X(o_addr) X(o_addr_valid)             \
    X(o_derived) X(o_script_off) X(o_script)                                                  \
    X(i_tx) X(i_vin) X(i_prev_off) X(i_prev) X(i_prev_vout) X(i_valid) X(i_seq) X(i_sig_off)   \
    X(i_sig) X(i_wit_off) X(w_off) X(w_data)

typedef struct {
#define DECLARE(name) Buf name;
    COLUMNS(DECLARE)
#undef DECLARE
    Buf merkle;  /* scratch: txids of the current block, internal order */
    Buf wmerkle; /* scratch: its wtxids, the first transaction's as 32 zero bytes (BIP141) */
    /* BIP141 inputs of the current block (pointers into its buffer), see witness_verdict */
    int first_tx;              /* parsing the block's first transaction */
    int witness_seen;          /* a later transaction's wtxid differs from its txid */
    const uint8_t *commitment; /* the first transaction's last output script starting 6a24aa21a9ed */
    size_t commitment_len;
    uint64_t reserved_items;   /* witness stack of the first transaction's first input */
    const uint8_t *reserved;   /* its first item */
    size_t reserved_len;
    uint8_t p2pkh, p2sh;
    char hrp[84];
    size_t hrp_len;
    /* error state */
    char err[200];
    size_t err_offset;
    int oom;
    int deferred; /* an output-value overflow seen in this block */
    size_t deferred_offset;
} Scan;

static void scan_free(Scan *s) { /* GIL held */
#define FREE(name) pool_put(s->name.p, s->name.cap);
    COLUMNS(FREE)
#undef FREE
    pool_put(s->merkle.p, s->merkle.cap);
    pool_put(s->wmerkle.p, s->wmerkle.cap);
}

/* Cursor over one block buffer. */
typedef struct {
    const uint8_t *d;
    size_t n, pos;
    Scan *s;
} Cur;

static int fail(Cur *c, size_t offset, const char *msg) {
    snprintf(c->s->err, sizeof c->s->err, "%s", msg);
    c->s->err_offset = offset;
    return -1;
}

static int oom(Scan *s) {
    s->oom = 1;
    return -1;
}

static int take(Cur *c, size_t n, const char *what, const uint8_t **out) {
    if (n > c->n - c->pos) {
        snprintf(c->s->err, sizeof c->s->err, "truncated data: %s needs %zu bytes at offset %zu",
                 what, n, c->pos);
        c->s->err_offset = c->pos;
        return -1;
    }
    *out = c->d + c->pos;
    c->pos += n;
    return 0;
}

static uint64_t le(const uint8_t *p, int width) {
    uint64_t v = 0;
    for (int i = width - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

#define MAX_SIZE 0x02000000 /* Core's MAX_SIZE: larger counts/lengths are rejected (compact.py) */

static int compact(Cur *c, uint64_t *out) {
    if (c->pos >= c->n) return fail(c, c->pos, "truncated data: compact size expected");
    uint8_t first = c->d[c->pos];
    if (first < 0xFD) {
        *out = first;
        c->pos += 1;
        return 0;
    }
    int width = first == 0xFD ? 2 : first == 0xFE ? 4 : 8;
    if ((size_t)(1 + width) > c->n - c->pos)
        return fail(c, c->pos, "truncated data inside a compact size");
    uint64_t v = le(c->d + c->pos + 1, width);
    uint64_t min = width == 2 ? 0xFD : width == 4 ? 0x10000 : 0x100000000ULL;
    if (v < min) return fail(c, c->pos, "non-canonical compact size");
    if (v > MAX_SIZE) {
        snprintf(c->s->err, sizeof c->s->err, "compact size %llu exceeds %d",
                 (unsigned long long)v, MAX_SIZE);
        c->s->err_offset = c->pos;
        return -1;
    }
    *out = v;
    c->pos += 1 + width;
    return 0;
}

static int var_bytes(Cur *c, const char *what, const uint8_t **out, size_t *len) {
    uint64_t n;
    if (compact(c, &n)) return -1;
    if (n > c->n - c->pos) {
        snprintf(c->s->err, sizeof c->s->err,
                 "truncated data: %s needs %llu bytes at offset %zu", what,
                 (unsigned long long)n, c->pos);
        c->s->err_offset = c->pos;
        return -1;
    }
    *out = c->d + c->pos;
    *len = (size_t)n;
    c->pos += (size_t)n;
    return 0;
}

/* ---------------------------------------------------------------- hashing and text */
/* The low-level SHA256_* calls: OpenSSL 3's one-shot SHA256() goes through an EVP fetch with
 * locks, several times slower for the many short inputs here (addresses, merkle nodes).  OpenSSL
 * already uses the SHA-NI instructions; a hand-written SHA-NI path for short messages was measured
 * and gained < 10% (the rounds' latency dominates), so it is not worth its code. */
static void sha256_1(const uint8_t *p, size_t n, uint8_t out[32]) {
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, p, n);
    SHA256_Final(out, &ctx);
}

static void hash256(const uint8_t *parts[3], const size_t lens[3], uint8_t out[32]) {
    SHA256_CTX ctx;
    uint8_t first[32];
    SHA256_Init(&ctx);
    for (int i = 0; i < 3; i++)
        if (lens[i]) SHA256_Update(&ctx, parts[i], lens[i]);
    SHA256_Final(first, &ctx);
    sha256_1(first, 32, out);
}

static void hash256_1(const uint8_t *p, size_t n, uint8_t out[32]) {
    const uint8_t *parts[3] = {p, NULL, NULL};
    const size_t lens[3] = {n, 0, 0};
    hash256(parts, lens, out);
}

static const char HEX[] = "0123456789abcdef";
static char HEX_PAIRS[512]; /* byte -> its two hex characters, filled at import */

/* 32 internal-order bytes -> 64 display-order hex chars. */
static int put_hex_rev(Buf *b, const uint8_t h[32]) {
    if (buf_reserve(b, 64)) return -1;
    char *o = b->p + b->len;
    for (int i = 0; i < 32; i++) memcpy(o + 2 * i, HEX_PAIRS + 2 * h[31 - i], 2);
    b->len += 64;
    return 0;
}

static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Base58Check of version byte + 20-byte hash (always 25 bytes with checksum).  The number is
 * converted 4 bytes at a time into limbs of 58^5 (so ~50 64-bit steps instead of ~850). */
#define B58_LIMB 656356768ULL /* 58^5 */
static int put_b58check(Buf *b, uint8_t version, const uint8_t hash20[20]) {
    uint8_t data[25], check[32];
    data[0] = version;
    memcpy(data + 1, hash20, 20);
    hash256_1(data, 21, check);
    memcpy(data + 21, check, 4);
    size_t zeros = 0, nl = 0, i;
    while (zeros < 25 && data[zeros] == 0) zeros++;
    uint32_t limbs[8];
    for (i = zeros; i < 25;) {
        size_t w = (25 - i) % 4 ? (25 - i) % 4 : 4;
        uint64_t carry = 0;
        for (size_t k = 0; k < w; k++) carry = (carry << 8) | data[i + k];
        i += w;
        for (size_t j = 0; j < nl; j++) {
            carry += (uint64_t)limbs[j] << (8 * w);
            limbs[j] = (uint32_t)(carry % B58_LIMB);
            carry /= B58_LIMB;
        }
        while (carry) {
            limbs[nl++] = (uint32_t)(carry % B58_LIMB);
            carry /= B58_LIMB;
        }
    }
    char digits[48];
    size_t nd = 0;
    for (size_t j = 0; j < nl; j++) { /* little-endian digits; the top limb stops at zero */
        uint32_t v = limbs[j];
        for (int k = 0; k < 5 && (v || j + 1 < nl); k++) {
            digits[nd++] = B58[v % 58];
            v /= 58;
        }
    }
    if (buf_reserve(b, zeros + nd)) return -1;
    char *o = b->p + b->len;
    for (size_t k = 0; k < zeros; k++) *o++ = '1';
    for (size_t k = 0; k < nd; k++) *o++ = digits[nd - 1 - k];
    b->len += zeros + nd;
    return 0;
}

static const char B32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, uint8_t v) {
    static const uint32_t GEN[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1) chk ^= GEN[i];
    return chk;
}

/* Segwit address (BIP173 for v0, BIP350 bech32m for v1+) of a 2..40-byte program. */
static int put_segwit(Buf *b, const Scan *s, int version, const uint8_t *prog, size_t plen) {
    uint8_t data[1 + 64 + 6];
    size_t nd = 0;
    data[nd++] = (uint8_t)version;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < plen; i++) {
        acc = (acc << 8) | prog[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            data[nd++] = (acc >> bits) & 31;
        }
    }
    if (bits) data[nd++] = (acc << (5 - bits)) & 31;
    uint32_t chk = 1;
    for (size_t i = 0; i < s->hrp_len; i++) chk = polymod_step(chk, (uint8_t)s->hrp[i] >> 5);
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < s->hrp_len; i++) chk = polymod_step(chk, (uint8_t)s->hrp[i] & 31);
    for (size_t i = 0; i < nd; i++) chk = polymod_step(chk, data[i]);
    for (int i = 0; i < 6; i++) chk = polymod_step(chk, 0);
    chk ^= version == 0 ? 1 : 0x2bc830a3;
    for (int i = 0; i < 6; i++) data[nd++] = (chk >> (5 * (5 - i))) & 31;
    if (buf_reserve(b, s->hrp_len + 1 + nd)) return -1;
    char *o = b->p + b->len;
    memcpy(o, s->hrp, s->hrp_len);
    o += s->hrp_len;
    *o++ = '1';
    for (size_t i = 0; i < nd; i++) *o++ = B32[data[i]];
    b->len += s->hrp_len + 1 + nd;
    return 0;
}

/* ---------------------------------------------------------------- script classification */
enum {
    T_PUBKEY, T_PUBKEYHASH, T_SCRIPTHASH, T_MULTISIG, T_NULLDATA, T_WV0_KEYHASH,
    T_WV0_SCRIPTHASH, T_WV1_TAPROOT, T_WITNESS_UNKNOWN, T_ANCHOR, T_NONSTANDARD
};

/* Next op of a script: returns 0 and sets op / data / dlen (dlen = -1 for non-push), or -1
 * when a push overruns the end (as codecs.script.iter_pushes returning None). */
static int next_op(const uint8_t *s, size_t n, size_t *i, int *op, ptrdiff_t *dlen) {
    *op = s[(*i)++];
    if (*op > 0x4E) {
        *dlen = -1;
        return 0;
    }
    uint64_t size = (uint64_t)*op;
    if (*op >= 0x4C) {
        size_t width = *op == 0x4C ? 1 : *op == 0x4D ? 2 : 4;
        if (width > n - *i) return -1;
        size = le(s + *i, (int)width);
        *i += width;
    }
    if (size > n - *i) return -1;
    *dlen = (ptrdiff_t)size;
    *i += (size_t)size;
    return 0;
}

static int push_only(const uint8_t *s, size_t n) {
    size_t i = 0;
    int op;
    ptrdiff_t dlen;
    while (i < n) {
        if (next_op(s, n, &i, &op, &dlen) || op > 0x60) return 0;
    }
    return 1;
}

static int valid_pubkey(const uint8_t *d, ptrdiff_t len) {
    if (len == 33) return d[0] == 2 || d[0] == 3;
    if (len == 65) return d[0] == 4 || d[0] == 6 || d[0] == 7;
    return 0;
}

/* Core's GetScriptNumber for key counts: OP_1..OP_16, or a one-byte push of 17..20; else 0. */
static int script_number(int op, const uint8_t *data, ptrdiff_t dlen) {
    if (op >= 0x51 && op <= 0x60) return op - 0x50;
    if (op == 1 && dlen == 1 && data[0] >= 17 && data[0] <= 20) return data[0];
    return 0;
}

/* Core's MatchMultisig: m <pubkey>... n OP_CHECKMULTISIG with 1 <= m <= n <= 20, n keys. */
static int is_multisig(const uint8_t *s, size_t n) {
    size_t i = 0, count = 0;
    int op, m = 0, last = -1;
    ptrdiff_t dlen;
    while (i < n) { /* pass 1: count the ops; m comes from the first */
        if (next_op(s, n, &i, &op, &dlen)) return 0;
        if (count == 0) m = script_number(op, s + i - (dlen > 0 ? dlen : 0), dlen);
        last = op;
        count++;
    }
    if (count < 4 || last != 0xAE || m < 1) return 0;
    size_t idx = 0;
    int keys = 0;
    for (i = 0; i < n; idx++) { /* pass 2: n from the second-to-last op, every key a pubkey */
        next_op(s, n, &i, &op, &dlen);
        if (idx == count - 2)
            keys = script_number(op, s + i - (dlen > 0 ? dlen : 0), dlen);
        else if (idx > 0 && idx < count - 2 && (dlen < 0 || !valid_pubkey(s + i - dlen, dlen)))
            return 0;
    }
    return keys >= m && (size_t)keys == count - 3;
}

static int classify(const uint8_t *s, size_t n, int *version) {
    if (n == 23 && s[0] == 0xA9 && s[1] == 20 && s[22] == 0x87) return T_SCRIPTHASH;
    if (n >= 4 && n <= 42 && (s[0] == 0 || (s[0] >= 0x51 && s[0] <= 0x60)) && s[1] + 2u == n) {
        *version = s[0] == 0 ? 0 : s[0] - 0x50;
        if (*version == 0) return n == 22 ? T_WV0_KEYHASH : n == 34 ? T_WV0_SCRIPTHASH : T_NONSTANDARD;
        if (*version == 1 && n == 34) return T_WV1_TAPROOT;
        if (n == 4 && s[0] == 0x51 && s[1] == 2 && s[2] == 0x4E && s[3] == 0x73) return T_ANCHOR;
        return T_WITNESS_UNKNOWN;
    }
    if (n >= 1 && s[0] == 0x6A && push_only(s + 1, n - 1)) return T_NULLDATA;
    if ((n == 35 || n == 67) && s[0] == n - 2 && s[n - 1] == 0xAC && valid_pubkey(s + 1, n - 2))
        return T_PUBKEY;
    if (n == 25 && s[0] == 0x76 && s[1] == 0xA9 && s[2] == 20 && s[23] == 0x88 && s[24] == 0xAC)
        return T_PUBKEYHASH;
    if (is_multisig(s, n)) return T_MULTISIG;
    return T_NONSTANDARD;
}

/* Address text for one output; sets *valid / *derived. */
static int put_address(Scan *s, const uint8_t *sc, size_t n, int type, int version, int *valid,
                       int *derived) {
    Buf *b = &s->o_addr;
    *valid = 1;
    *derived = 0;
    switch (type) {
    case T_PUBKEYHASH:
        return put_b58check(b, s->p2pkh, sc + 3);
    case T_SCRIPTHASH:
        return put_b58check(b, s->p2sh, sc + 2);
    case T_WV0_KEYHASH:
    case T_WV0_SCRIPTHASH:
    case T_WV1_TAPROOT:
    case T_WITNESS_UNKNOWN:
    case T_ANCHOR:
        return put_segwit(b, s, version, sc + 2, n - 2);
    case T_PUBKEY: {
        uint8_t sha[32], h160[20];
        RIPEMD160_CTX rctx;
        sha256_1(sc + 1, n - 2, sha);
        RIPEMD160_Init(&rctx);
        RIPEMD160_Update(&rctx, sha, 32);
        RIPEMD160_Final(h160, &rctx);
        *derived = 1;
        return put_b58check(b, s->p2pkh, h160);
    }
    default:
        *valid = 0;
        return 0;
    }
}

/* ---------------------------------------------------------------- transactions */
static int check_offset(Scan *s, const Buf *b) {
    if (b->len > INT32_MAX) {
        snprintf(s->err, sizeof s->err, "batch too large: a column exceeds 2 GiB");
        return -1;
    }
    return 0;
}

static int read_inputs(Cur *c, uint64_t n_in, int32_t tx_row) {
    Scan *s = c->s;
    for (uint64_t k = 0; k < n_in; k++) {
        const uint8_t *prev, *vout, *sig, *seq;
        size_t sig_len;
        if (take(c, 32, "input prevout txid", &prev) || take(c, 4, "input prevout index", &vout) ||
            var_bytes(c, "scriptSig", &sig, &sig_len) || take(c, 4, "input sequence", &seq))
            return -1;
        if (put_i32(&s->i_tx, tx_row) || put_i32(&s->i_vin, (int32_t)k) ||
            put_hex_rev(&s->i_prev, prev) || put_i32(&s->i_prev_off, (int32_t)s->i_prev.len) ||
            put_i64(&s->i_prev_vout, (int64_t)le(vout, 4)) || put_u8(&s->i_valid, 1) ||
            put_i64(&s->i_seq, (int64_t)le(seq, 4)) || buf_put(&s->i_sig, sig, sig_len) ||
            put_i32(&s->i_sig_off, (int32_t)s->i_sig.len))
            return oom(s);
        if (check_offset(s, &s->i_sig) || check_offset(s, &s->i_prev)) return -1;
    }
    return 0;
}

static const uint8_t WITNESS_COMMITMENT_PREFIX[6] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};

static int read_outputs(Cur *c, int32_t tx_row, int64_t *total, uint64_t *n_out, int *overflow) {
    Scan *s = c->s;
    if (compact(c, n_out)) return -1;
    *total = 0;
    for (uint64_t k = 0; k < *n_out; k++) {
        const uint8_t *value, *script;
        size_t len;
        if (take(c, 8, "output value", &value) || var_bytes(c, "scriptPubKey", &script, &len))
            return -1;
        int64_t v = (int64_t)le(value, 8);
        if (__builtin_add_overflow(*total, v, total)) *overflow = 1;
        if (s->first_tx && len >= 6 && memcmp(script, WITNESS_COMMITMENT_PREFIX, 6) == 0) {
            s->commitment = script;
            s->commitment_len = len;
        }
        int version = 0, valid, derived;
        int type = classify(script, len, &version);
        if (put_i32(&s->o_tx, tx_row) || put_i32(&s->o_vout, (int32_t)k) ||
            put_i64(&s->o_value, v) || put_u8(&s->o_type, (uint8_t)type) ||
            put_address(s, script, len, type, version, &valid, &derived) ||
            put_i32(&s->o_addr_off, (int32_t)s->o_addr.len) || put_u8(&s->o_addr_valid, valid) ||
            put_u8(&s->o_derived, derived) || buf_put(&s->o_script, script, len) ||
            put_i32(&s->o_script_off, (int32_t)s->o_script.len))
            return oom(s);
        if (check_offset(s, &s->o_script) || check_offset(s, &s->o_addr)) return -1;
    }
    return 0;
}

/* Witness stacks of n_in inputs; *any is set when some input has a non-empty stack. */
static int read_witnesses(Cur *c, uint64_t n_in, int *any) {
    Scan *s = c->s;
    *any = 0;
    for (uint64_t k = 0; k < n_in; k++) {
        uint64_t count;
        if (compact(c, &count)) return -1;
        if (count) *any = 1;
        if (s->first_tx && k == 0) s->reserved_items = count;
        for (uint64_t j = 0; j < count; j++) {
            const uint8_t *item;
            size_t len;
            if (var_bytes(c, "witness item", &item, &len)) return -1;
            if (s->first_tx && k == 0 && j == 0) {
                s->reserved = item;
                s->reserved_len = len;
            }
            if (buf_put(&s->w_data, item, len) || put_i32(&s->w_off, (int32_t)s->w_data.len))
                return oom(s);
            if (check_offset(s, &s->w_data) || check_offset(s, &s->w_off)) return -1;
        }
        if (put_i32(&s->i_wit_off, (int32_t)(s->w_off.len / 4 - 1))) return oom(s);
    }
    return 0;
}

/* A coinbase's single input has no previous output: null prev_txid / prev_vout. */
static void mark_coinbase_input(Scan *s) {
    s->i_prev.len -= 64;
    ((int32_t *)s->i_prev_off.p)[s->i_prev_off.len / 4 - 1] = (int32_t)s->i_prev.len;
    s->i_valid.p[s->i_valid.len - 1] = 0;
}

static int is_coinbase_prevout(const uint8_t *d) {
    for (int i = 0; i < 32; i++)
        if (d[i]) return 0;
    return le(d + 32, 4) == 0xFFFFFFFFu;
}

/* After the outputs: the witness stacks when flag bit 0 is set (empty lists otherwise), then
 * Core's checks -- superfluous witness record, unknown flag bits (offset of the flag byte). */
static int witness_part(Cur *c, int flags, uint64_t n_in, size_t start) {
    Scan *s = c->s;
    int any = 0;
    if (flags > 0 && (flags & 1)) {
        flags ^= 1;
        if (read_witnesses(c, n_in, &any)) return -1;
        if (!any) return fail(c, c->pos, "superfluous witness record");
    } else {
        for (uint64_t k = 0; k < n_in; k++)
            if (put_i32(&s->i_wit_off, (int32_t)(s->w_off.len / 4 - 1))) return oom(s);
    }
    if (flags > 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "unknown transaction optional data flag %d", flags);
        return fail(c, start + 4, msg);
    }
    return 0;
}

/* One transaction at c->pos; appends its rows and returns its non-witness size in *stripped. */
static int read_tx(Cur *c, int32_t block_row, int32_t index, size_t *stripped) {
    Scan *s = c->s;
    int32_t tx_row = (int32_t)(s->t_index.len / 4);
    size_t start = c->pos;
    const uint8_t *ver, *lock, *flag_byte;
    uint64_t n_in, n_out;
    int flags = -1, flag_seen = -1; /* -1: no flag byte */
    s->first_tx = index == 0;
    if (take(c, 4, "tx version", &ver) || compact(c, &n_in)) return -1;
    if (n_in == 0) { /* the BIP144 marker; with flag 0 it was an empty vout (Core) */
        if (take(c, 1, "segwit flag", &flag_byte)) return -1;
        flags = flag_seen = flag_byte[0];
        if (flags && compact(c, &n_in)) return -1;
    }
    size_t body = flags <= 0 ? start + 4 : start + 6, first_input = c->pos;
    if (read_inputs(c, n_in, tx_row)) return -1;
    int64_t total = 0;
    int overflow = 0;
    n_out = 0;
    if (flag_seen != 0 && read_outputs(c, tx_row, &total, &n_out, &overflow)) return -1;
    size_t outs_end = c->pos;
    if (witness_part(c, flags, n_in, start) || take(c, 4, "locktime", &lock)) return -1;
    if (overflow && !s->deferred) { /* reported after the whole block parsed, as the reference */
        s->deferred = 1;
        s->deferred_offset = start;
    }
    /* txid preimage: version, [n_in = 0 when a zero flag byte was read], body up to outputs' end,
     * locktime -- exactly Tx.serialize(include_witness=False). */
    const uint8_t *d = c->d;
    uint8_t txid[32], wtxid[32];
    size_t size = c->pos - start;
    hash256_1(d + start, size, wtxid);
    if (flag_seen <= 0) { /* no witness: the raw bytes are the txid preimage */
        memcpy(txid, wtxid, 32);
        *stripped = size;
    } else {
        const uint8_t *parts[3] = {d + start, d + body, lock};
        const size_t lens[3] = {4, outs_end - body, 4};
        hash256(parts, lens, txid);
        *stripped = 4 + (outs_end - body) + 4;
    }
    static const uint8_t zeros[32] = {0};
    if (buf_put(&s->merkle, txid, 32) || buf_put(&s->wmerkle, index ? wtxid : zeros, 32))
        return oom(s);
    if (index && memcmp(txid, wtxid, 32)) s->witness_seen = 1;
    int coinbase = n_in == 1 && is_coinbase_prevout(d + first_input);
    if (coinbase) mark_coinbase_input(s);
    int32_t weight = (int32_t)(*stripped * 3 + size);
    if (put_i32(&s->t_block, block_row) || put_hex_rev(&s->t_txid, txid) ||
        put_hex_rev(&s->t_wtxid, wtxid) || put_i32(&s->t_index, index) ||
        put_i64(&s->t_version, (int32_t)le(ver, 4)) || put_i64(&s->t_locktime, (int64_t)le(lock, 4)) ||
        put_i32(&s->t_size, (int32_t)size) || put_i32(&s->t_vsize, (weight + 3) / 4) ||
        put_i32(&s->t_weight, weight) || put_u8(&s->t_coinbase, coinbase) ||
        put_i32(&s->t_n_in, (int32_t)n_in) || put_i32(&s->t_n_out, (int32_t)n_out) ||
        put_i64(&s->t_value, total))
        return oom(s);
    return 0;
}

/* ---------------------------------------------------------------- blocks */
#define MAX_BLOCK_BYTES 0x10000000 /* 256 MiB: keeps every int32 size/weight column exact */

/* Merkle root of the (non-empty) 32-byte hashes in b, duplicating the last one on odd levels;
 * the tree is built in place, so b's contents are consumed.  -1 when out of memory. */
static int merkle_root(Scan *s, Buf *b, uint8_t out[32]) {
    size_t n = b->len / 32;
    uint8_t *level = (uint8_t *)b->p;
    while (n > 1) {
        if (n % 2) {
            if (buf_reserve(b, 32)) return oom(s);
            level = (uint8_t *)b->p;
            memcpy(level + 32 * n, level + 32 * (n - 1), 32);
            n++;
        }
        for (size_t i = 0; i < n / 2; i++) hash256_1(level + 64 * i, 64, level + 32 * i);
        n /= 2;
    }
    memcpy(out, level, 32);
    return 0;
}

static int merkle_matches(Scan *s, const uint8_t *header_root) {
    uint8_t root[32];
    if (s->merkle.len == 0) return 0;
    if (merkle_root(s, &s->merkle, root)) return -1;
    return memcmp(root, header_root, 32) == 0;
}

/* b_witness codes (blockscan.WITNESS_*): the BIP141 commitment check of a block whose
 * transactions after the first carry witness data, as sources/verify.py words it. */
enum { WIT_NONE = 0, WIT_OK = 1, WIT_NO_COMMITMENT = -1, WIT_NO_RESERVED = -2, WIT_MISMATCH = -3 };

static void witness_reset(Scan *s) {
    s->wmerkle.len = 0;
    s->witness_seen = 0;
    s->commitment = s->reserved = NULL;
    s->commitment_len = s->reserved_len = 0;
    s->reserved_items = 0;
}

/* hash256(witness root || reserved value) against the last commitment output of the first
 * transaction (bytes 6..38 of its script; a shorter one mismatches).  -1 when out of memory. */
static int witness_verdict(Scan *s, int8_t *out) {
    uint8_t root[32], want[32];
    if (!s->witness_seen) {
        *out = WIT_NONE;
    } else if (!s->commitment) {
        *out = WIT_NO_COMMITMENT;
    } else if (s->reserved_items != 1 || s->reserved_len != 32) {
        *out = WIT_NO_RESERVED;
    } else {
        if (merkle_root(s, &s->wmerkle, root)) return -1;
        const uint8_t *parts[3] = {root, s->reserved, NULL};
        const size_t lens[3] = {32, 32, 0};
        hash256(parts, lens, want);
        int same = s->commitment_len >= 38 && memcmp(s->commitment + 6, want, 32) == 0;
        *out = same ? WIT_OK : WIT_MISMATCH;
    }
    return 0;
}

static int read_block(Scan *s, const uint8_t *d, size_t n, int32_t block_row) {
    Cur c = {d, n, 0, s};
    if (n < 80) {
        snprintf(s->err, sizeof s->err, "truncated block header: %zu of 80 bytes", n);
        s->err_offset = 0;
        return -1;
    }
    if (n > MAX_BLOCK_BYTES) return fail(&c, 0, "block larger than 256 MiB");
    c.pos = 80;
    uint64_t n_tx;
    if (compact(&c, &n_tx)) return -1;
    s->merkle.len = 0;
    s->deferred = 0;
    witness_reset(s);
    size_t stripped_total = 80 + (c.pos - 80);
    for (uint64_t k = 0; k < n_tx; k++) {
        size_t stripped;
        if (read_tx(&c, block_row, (int32_t)k, &stripped)) return -1;
        stripped_total += stripped;
    }
    if (c.pos != n) {
        char msg[64];
        snprintf(msg, sizeof msg, "%zu trailing bytes after block", n - c.pos);
        return fail(&c, c.pos, msg);
    }
    if (s->deferred) return fail(&c, s->deferred_offset, "sum of output values overflows 64 bits");
    uint8_t hash[32];
    hash256_1(d, 80, hash);
    int ok = merkle_matches(s, d + 36);
    int8_t witness;
    if (ok < 0 || witness_verdict(s, &witness)) return -1;
    int32_t stripped = (int32_t)stripped_total;
    if (put_hex_rev(&s->b_hash, hash) || put_hex_rev(&s->b_prev, d + 4) ||
        put_hex_rev(&s->b_merkle, d + 36) || put_i64(&s->b_version, (int32_t)le(d, 4)) ||
        put_i64(&s->b_time, (int64_t)le(d + 68, 4)) || put_i64(&s->b_bits, (int64_t)le(d + 72, 4)) ||
        put_i64(&s->b_nonce, (int64_t)le(d + 76, 4)) || put_i32(&s->b_tx_count, (int32_t)n_tx) ||
        put_i32(&s->b_size, (int32_t)n) || put_i32(&s->b_stripped, stripped) ||
        put_i32(&s->b_weight, stripped * 3 + (int32_t)n) || put_u8(&s->b_merkle_ok, ok) ||
        put_i8(&s->b_witness, witness))
        return oom(s);
    return 0;
}

/* ---------------------------------------------------------------- Python entry point */
/* Reserve room from the input size (ratios of typical blocks), so columns rarely regrow. */
static int scan_reserve(Scan *s, size_t total, size_t nb) {
    size_t tx = total / 256 + 16, out = total / 96 + 16, in = total / 128 + 16;
    struct { Buf *b; size_t n; } plan[] = {
        {&s->b_hash, 64 * nb}, {&s->b_prev, 64 * nb}, {&s->b_merkle, 64 * nb},
        {&s->b_version, 8 * nb}, {&s->b_time, 8 * nb}, {&s->b_bits, 8 * nb},
        {&s->b_nonce, 8 * nb}, {&s->b_tx_count, 4 * nb}, {&s->b_size, 4 * nb},
        {&s->b_stripped, 4 * nb}, {&s->b_weight, 4 * nb}, {&s->b_merkle_ok, nb},
        {&s->b_witness, nb},
        {&s->t_block, 4 * tx}, {&s->t_txid, 64 * tx}, {&s->t_wtxid, 64 * tx},
        {&s->t_index, 4 * tx}, {&s->t_version, 8 * tx}, {&s->t_locktime, 8 * tx},
        {&s->t_size, 4 * tx}, {&s->t_vsize, 4 * tx}, {&s->t_weight, 4 * tx},
        {&s->t_coinbase, tx}, {&s->t_n_in, 4 * tx}, {&s->t_n_out, 4 * tx}, {&s->t_value, 8 * tx},
        {&s->o_tx, 4 * out}, {&s->o_vout, 4 * out}, {&s->o_value, 8 * out}, {&s->o_type, out},
        {&s->o_addr_off, 4 * out}, {&s->o_addr, 36 * out}, {&s->o_addr_valid, out},
        {&s->o_derived, out}, {&s->o_script_off, 4 * out}, {&s->o_script, 28 * out},
        {&s->i_tx, 4 * in}, {&s->i_vin, 4 * in}, {&s->i_prev_off, 4 * in}, {&s->i_prev, 64 * in},
        {&s->i_prev_vout, 8 * in}, {&s->i_valid, in}, {&s->i_seq, 8 * in},
        {&s->i_sig_off, 4 * in}, {&s->i_sig, total}, {&s->i_wit_off, 4 * in},
        {&s->w_off, 12 * in}, {&s->w_data, total},
    };
    for (size_t k = 0; k < sizeof plan / sizeof plan[0]; k++) {
        size_t need = plan[k].n < POOL_MIN_CHUNK ? POOL_MIN_CHUNK : plan[k].n;
        pool_take(plan[k].b, need); /* every column starts pool-sized, so all go back to it */
        if (buf_reserve(plan[k].b, need)) return oom(s);
    }
    return 0;
}

static int scan_init(Scan *s) {
    pool_take(&s->merkle, POOL_MIN_CHUNK);
    pool_take(&s->wmerkle, POOL_MIN_CHUNK);
    if (buf_reserve(&s->merkle, POOL_MIN_CHUNK) || buf_reserve(&s->wmerkle, POOL_MIN_CHUNK))
        return oom(s);
    /* offset columns start with a 0 entry (Arrow layout: n + 1 offsets) */
    if (put_i32(&s->o_addr_off, 0) || put_i32(&s->o_script_off, 0) ||
        put_i32(&s->i_prev_off, 0) || put_i32(&s->i_sig_off, 0) || put_i32(&s->i_wit_off, 0) ||
        put_i32(&s->w_off, 0))
        return oom(s);
    return 0;
}

/* A read-only buffer owning one column's malloc'd memory: handed to Arrow/NumPy without a copy. */
typedef struct {
    PyObject_HEAD
    char *p;
    Py_ssize_t len;
    size_t cap;
} Column;

static int column_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    Column *c = (Column *)self;
    return PyBuffer_FillInfo(view, self, c->p, c->len, 1, flags);
}

static void column_dealloc(PyObject *self) {
    pool_put(((Column *)self)->p, ((Column *)self)->cap);
    Py_TYPE(self)->tp_free(self);
}

static PyBufferProcs column_as_buffer = {column_getbuffer, NULL};

static PyTypeObject ColumnType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ledgerhound.codecs._blockscan.Column",
    .tp_basicsize = sizeof(Column),
    .tp_dealloc = column_dealloc,
    .tp_as_buffer = &column_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One scanned column's bytes (buffer protocol, read-only).",
};

/* Moves the buffer into a Column object (the Buf no longer owns it). */
static PyObject *column_from(Buf *b) {
    if (!b->p && buf_reserve(b, 1)) return PyErr_NoMemory();
    Column *c = PyObject_New(Column, &ColumnType);
    if (!c) return NULL;
    c->p = b->p;
    c->len = (Py_ssize_t)b->len;
    c->cap = b->cap;
    b->p = NULL;
    b->len = b->cap = 0;
    return (PyObject *)c;
}

static PyObject *scan_result(Scan *s) {
    PyObject *out = PyDict_New();
    if (!out) return NULL;
#define EMIT(name)                                                                  \
    {                                                                               \
        PyObject *v = column_from(&s->name);                                        \
        if (!v || PyDict_SetItemString(out, #name, v)) {                            \
            Py_XDECREF(v);                                                          \
            Py_DECREF(out);                                                         \
            return NULL;                                                            \
        }                                                                           \
        Py_DECREF(v);                                                               \
    }
    COLUMNS(EMIT)
#undef EMIT
    return out;
}

static PyObject *py_scan(PyObject *self, PyObject *args) {
    PyObject *blocks, *seq;
    int p2pkh, p2sh;
    const char *hrp;
    Py_ssize_t hrp_len;
    (void)self;
    if (!PyArg_ParseTuple(args, "Oiis#", &blocks, &p2pkh, &p2sh, &hrp, &hrp_len)) return NULL;
    if (p2pkh < 0 || p2pkh > 255 || p2sh < 0 || p2sh > 255 || hrp_len < 1 || hrp_len > 83) {
        PyErr_SetString(PyExc_ValueError, "bad network parameters");
        return NULL;
    }
    seq = PySequence_Fast(blocks, "blocks must be a sequence of bytes-like objects");
    if (!seq) return NULL;
    Py_ssize_t nb = PySequence_Fast_GET_SIZE(seq);
    Py_buffer *views = PyMem_Calloc(nb ? nb : 1, sizeof(Py_buffer));
    Scan *s = calloc(1, sizeof(Scan));
    PyObject *result = NULL;
    Py_ssize_t got = 0;
    if (!views || !s) {
        PyErr_NoMemory();
        goto done;
    }
    for (; got < nb; got++)
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(seq, got), &views[got], PyBUF_SIMPLE))
            goto done;
    s->p2pkh = (uint8_t)p2pkh;
    s->p2sh = (uint8_t)p2sh;
    memcpy(s->hrp, hrp, (size_t)hrp_len);
    s->hrp_len = (size_t)hrp_len;
    size_t total = 0;
    for (Py_ssize_t i = 0; i < nb; i++) total += (size_t)views[i].len;
    int rc = scan_reserve(s, total, (size_t)nb) || scan_init(s);
    Py_ssize_t k = 0;
    Py_BEGIN_ALLOW_THREADS
    for (; rc == 0 && k < nb; k++)
        rc = read_block(s, views[k].buf, (size_t)views[k].len, (int32_t)k);
    Py_END_ALLOW_THREADS
    if (rc == 0) {
        result = scan_result(s);
    } else if (s->oom) {
        PyErr_NoMemory();
    } else {
        PyObject *exc = Py_BuildValue("(snn)", s->err, k - 1, (Py_ssize_t)s->err_offset);
        if (exc) PyErr_SetObject(ScanError, exc);
        Py_XDECREF(exc);
    }
done:
    for (Py_ssize_t i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    PyMem_Free(views);
    if (s) scan_free(s);
    free(s);
    Py_DECREF(seq);
    return result;
}

static PyObject *py_pool_stats(PyObject *self, PyObject *args) {
    (void)self, (void)args;
    return Py_BuildValue("(nn)", (Py_ssize_t)pool_n, (Py_ssize_t)pool_bytes);
}

static PyObject *py_pool_clear(PyObject *self, PyObject *args) {
    (void)self, (void)args;
    while (pool_n) free(pool[--pool_n].p);
    pool_bytes = 0;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"pool_clear", py_pool_clear, METH_NOARGS, "pool_clear() -> None: free the kept column memory"},
    {"pool_stats", py_pool_stats, METH_NOARGS,
     "pool_stats() -> (chunks, bytes) of column memory kept for reuse"},
    {"scan", py_scan, METH_VARARGS,
     "scan(blocks, p2pkh, p2sh, hrp) -> dict of column name -> bytes (see blockscan.py)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_blockscan", "Compiled raw-block scanner (see blockscan.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__blockscan(void) {
    for (int i = 0; i < 256; i++) {
        HEX_PAIRS[2 * i] = HEX[i >> 4];
        HEX_PAIRS[2 * i + 1] = HEX[i & 15];
    }
    if (PyType_Ready(&ColumnType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    ScanError = PyErr_NewException("ledgerhound.codecs._blockscan.ScanError", PyExc_ValueError, NULL);
    if (!ScanError || PyModule_AddObjectRef(m, "ScanError", ScanError) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
