"""Builds the C extensions (block scanner, union-find, chain-index keys); other metadata lives in pyproject.toml.

The scanner links OpenSSL's libcrypto for SHA-256 (hardware SHA-NI when present) and RIPEMD-160.
If the compiler or OpenSSL headers are missing, an extension's build is skipped and its Python
module (``codecs.blockscan``, ``cluster.unionfind``) falls back to pure Python (same output).
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Do not fail the install when the extension cannot be compiled: the fallback works."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure means "use the fallback"
            self.warn(f"ledgerhound: C block scanner not built ({exc}); using pure Python")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            self.warn(f"ledgerhound: C block scanner not built ({exc}); using pure Python")


CFLAGS = ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"]

setup(
    ext_modules=[
        Extension(
            "ledgerhound.codecs._blockscan",
            sources=["src/ledgerhound/codecs/_blockscan.c"],
            libraries=["crypto"],
            extra_compile_args=CFLAGS,
        ),
        Extension(
            "ledgerhound.store.chainindex._keys",
            sources=["src/ledgerhound/store/chainindex/_keys.c"],
            extra_compile_args=CFLAGS,
        ),
        Extension(
            "ledgerhound.cluster._unionfind",
            sources=["src/ledgerhound/cluster/_unionfind.c"],
            extra_compile_args=CFLAGS,
        ),
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
