/* Address lookup keys for the chain index: the multiply-xorshift hash of keys.py, compiled.
 *
 * Why C: hashing every output's address string in numpy needs a zero-padded byte matrix and a
 * pass per 8-byte word (seconds per million outputs); one loop over the bytes is milliseconds.
 * The result must equal ledgerhound.store.chainindex.keys._address_keys_numpy bit for bit (the
 * keys are written to disk); a property test checks that.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define M1 0x9E3779B97F4A7C15ULL
#define M2 0xBF58476D1CE4E5B9ULL

static uint64_t key_of(const uint8_t *s, int64_t len) {
    uint64_t h = (uint64_t)len * M1;
    for (int64_t j = 0; j < len; j += 8) {
        uint64_t w = 0;
        int64_t n = len - j < 8 ? len - j : 8;
        for (int64_t b = 0; b < n; b++) w |= (uint64_t)s[j + b] << (8 * b);
        h = (h ^ w) * M2;
        h ^= h >> 31;
    }
    h = (h ^ (h >> 29)) * M1;
    return h ^ (h >> 32);
}

/* address_keys(offsets: int64[n+1] buffer, data: uint8 buffer, out: writable uint64[n]) */
static PyObject *address_keys(PyObject *self, PyObject *args) {
    Py_buffer off, dat, out;
    if (!PyArg_ParseTuple(args, "y*y*w*", &off, &dat, &out)) return NULL;
    Py_ssize_t n = off.len / 8 - 1;
    const int64_t *o = off.buf;
    const uint8_t *d = dat.buf;
    uint64_t *k = out.buf;
    int ok = n >= 0 && out.len >= n * 8;
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        if (o[i] < 0 || o[i + 1] < o[i] || o[i + 1] > dat.len) { ok = 0; break; }
        k[i] = key_of(d + o[i], o[i + 1] - o[i]);
    }
    PyBuffer_Release(&off);
    PyBuffer_Release(&dat);
    PyBuffer_Release(&out);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "address_keys: offsets do not fit the data");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"address_keys", address_keys, METH_VARARGS, "64-bit keys of strings given as offsets+data"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_keys", NULL, -1, methods};

PyMODINIT_FUNC PyInit__keys(void) { return PyModule_Create(&module); }
