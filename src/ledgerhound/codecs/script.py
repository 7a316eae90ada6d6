"""Output-script classification with Bitcoin Core's type names (``solver.cpp``), and pushes.

Order of the checks follows current Core's ``Solver`` (P2A anchor; multisig key counts up to 20):
P2SH, witness programs, OP_RETURN followed by pushes only, P2PK, P2PKH, bare multisig, otherwise
nonstandard.
"""

from __future__ import annotations

OP_0 = 0x00
OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4 = 0x4C, 0x4D, 0x4E
OP_1, OP_16 = 0x51, 0x60
OP_RETURN = 0x6A
OP_DUP, OP_HASH160, OP_EQUALVERIFY, OP_EQUAL = 0x76, 0xA9, 0x88, 0x87
OP_CHECKSIG, OP_CHECKMULTISIG = 0xAC, 0xAE

SCRIPT_TYPES = (
    "pubkey",
    "pubkeyhash",
    "scripthash",
    "multisig",
    "nulldata",
    "witness_v0_keyhash",
    "witness_v0_scripthash",
    "witness_v1_taproot",
    "witness_unknown",
    "anchor",
    "nonstandard",
)
ANCHOR_SCRIPT = bytes([OP_1, 0x02, 0x4E, 0x73])


def iter_pushes(script: bytes) -> list[tuple[int, bytes | None]] | None:
    """Split a script into ``(opcode, pushed_data_or_None)``; None if a push overruns the end."""
    ops: list[tuple[int, bytes | None]] = []
    i, n = 0, len(script)
    while i < n:
        op = script[i]
        i += 1
        if op > OP_PUSHDATA4:
            ops.append((op, None))
            continue
        if op < OP_PUSHDATA1:
            size = op
        else:
            width = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}[op]
            if i + width > n:
                return None
            size = int.from_bytes(script[i : i + width], "little")
            i += width
        if i + size > n:
            return None
        ops.append((op, script[i : i + size]))
        i += size
    return ops


def is_push_only(script: bytes) -> bool:
    ops = iter_pushes(script)
    return ops is not None and all(op <= OP_16 for op, _ in ops)


def witness_program(script: bytes) -> tuple[int, bytes] | None:
    """``(version, program)`` when ``script`` is a witness program, as Core's IsWitnessProgram."""
    n = len(script)
    if n < 4 or n > 42:
        return None
    if script[0] != OP_0 and not OP_1 <= script[0] <= OP_16:
        return None
    if script[1] + 2 != n:
        return None
    version = 0 if script[0] == OP_0 else script[0] - OP_1 + 1
    return version, script[2:]


def _valid_pubkey_size(data: bytes) -> bool:
    if len(data) == 33:
        return data[0] in (2, 3)
    if len(data) == 65:
        return data[0] in (4, 6, 7)
    return False


MAX_PUBKEYS_PER_MULTISIG = 20


def _script_number(op: int, data: bytes | None) -> int | None:
    """Core's ``GetScriptNumber`` for key counts: OP_1..OP_16 or a minimal push of 17..20."""
    if OP_1 <= op <= OP_16:
        return op - OP_1 + 1
    if op == 1 and data is not None and 17 <= data[0] <= MAX_PUBKEYS_PER_MULTISIG:
        return data[0]  # any other push of a number <= 20 is non-minimal, which Core refuses
    return None


def _is_multisig(script: bytes) -> bool:
    """Core's ``MatchMultisig``: ``m <pubkey>... n OP_CHECKMULTISIG`` with 1 <= m <= n <= 20."""
    ops = iter_pushes(script)
    if not ops or len(ops) < 4 or ops[-1][0] != OP_CHECKMULTISIG:
        return False
    m, n = _script_number(*ops[0]), _script_number(*ops[-2])
    if m is None or n is None or not 1 <= m <= n:
        return False
    keys = ops[1:-2]
    return len(keys) == n and all(d is not None and _valid_pubkey_size(d) for _, d in keys)


def classify(script: bytes) -> str:
    """Bitcoin Core's ``scriptPubKey.type`` for an output script."""
    n = len(script)
    if n == 23 and script[0] == OP_HASH160 and script[1] == 20 and script[22] == OP_EQUAL:
        return "scripthash"
    wp = witness_program(script)
    if wp is not None:
        version, program = wp
        if version == 0:
            return {20: "witness_v0_keyhash", 32: "witness_v0_scripthash"}.get(
                len(program), "nonstandard"
            )
        if version == 1 and len(program) == 32:
            return "witness_v1_taproot"
        if script == ANCHOR_SCRIPT:
            return "anchor"
        return "witness_unknown"
    if n >= 1 and script[0] == OP_RETURN and is_push_only(script[1:]):
        return "nulldata"
    if n in (35, 67) and script[0] == n - 2 and script[-1] == OP_CHECKSIG:
        if _valid_pubkey_size(script[1:-1]):
            return "pubkey"
    if (
        n == 25
        and script[:3] == bytes([OP_DUP, OP_HASH160, 20])
        and script[23:] == bytes([OP_EQUALVERIFY, OP_CHECKSIG])
    ):
        return "pubkeyhash"
    if _is_multisig(script):
        return "multisig"
    return "nonstandard"
