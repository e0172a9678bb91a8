"""The process a benchmark runs in: one core, one BLAS thread, and a record of the machine.

`configure_process` must run before NumPy (or JAX, or PyTorch) is imported: thread
counts and OpenBLAS's kernel choice are read from the environment when the libraries
load. Nothing here changes the environment of any other process.
"""
from __future__ import annotations

import os
import platform
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS")
# Set on some machines because old OpenBLAS builds misbehave there; they make a current
# OpenBLAS pick an older kernel (e.g. Haswell instead of SkylakeX), so timings unset them.
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def configure_process(cpu: int | None = 0, keep_openblas_overrides: bool = False) -> dict:
    """Pin this process to one core and every numeric library to one thread."""
    loaded = [m for m in ("numpy", "jax", "torch") if m in sys.modules]
    if loaded:
        raise RuntimeError(f"configure_process must run before importing {', '.join(loaded)}")
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    removed = {}
    if not keep_openblas_overrides:
        removed = {name: os.environ.pop(name) for name in OPENBLAS_OVERRIDES if name in os.environ}
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    pinned = None
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {cpu})
            pinned = cpu
        except OSError:
            pass
    return {"pinned_cpu": pinned, "unset": removed, "threads": {name: "1" for name in THREAD_VARIABLES}}


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_description() -> dict:
    """NumPy's BLAS: its build, and the kernel and thread count it runs with now."""
    import numpy as np

    info = {}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info.update(name=blas.get("name"), version=blas.get("version"))
    except Exception:  # an old NumPy: the build is not essential to the record
        pass
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                info.update(kernel=pool.get("architecture"), threads=pool.get("num_threads"), source="threadpoolctl")
                return info
    except ImportError:
        pass
    info.update(_openblas_by_ctypes(np))
    return info


def _openblas_by_ctypes(np) -> dict:
    """The kernel and threads of the OpenBLAS bundled with NumPy's wheel, asked directly."""
    import ctypes
    import glob

    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "*openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", ""):
                corename = getattr(lib, f"{prefix}get_corename{suffix}", None)
                threads = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                if corename is not None and threads is not None:
                    corename.restype = ctypes.c_char_p
                    return {"kernel": corename().decode(), "threads": threads(), "source": "ctypes"}
    return {}


def versions() -> dict:
    """Versions of the libraries this process has imported (none is imported here)."""
    from importlib import metadata

    found = {"python": platform.python_version()}
    for module in ("numpy", "adcompiler", "autograd", "jax", "jaxlib", "torch"):
        if module in sys.modules:
            try:
                found[module] = metadata.version(module)
            except metadata.PackageNotFoundError:
                found[module] = getattr(sys.modules[module], "__version__", "?")
    return found


def adcompiler_revision() -> str | None:
    """The git commit of the adcompiler being measured, with `+modified` for local changes."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        changed = subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "adcompiler"],
                                 capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ("+modified" if changed else "")) or None


def describe_machine(configured: dict) -> dict:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "pinned_cpu": configured.get("pinned_cpu"),
            "load": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "adcompiler_revision": adcompiler_revision(), "unset": configured.get("unset"),
            "blas": blas_description(), "versions": versions()}
