"""The machine a profile ran on: its processor's name, read from /proc/cpuinfo."""

from __future__ import annotations

import platform
from pathlib import Path

from servesize.profiling._service import cpu_model

# abridged from a real 2-core VM's /proc/cpuinfo: one block per logical CPU
CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC 7763 64-Core Processor
flags\t\t: fpu vme de pse

processor\t: 1
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7763 64-Core Processor
"""


def test_the_first_model_name_is_the_cpu_model(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(CPUINFO)
    assert cpu_model(info) == "AMD EPYC 7763 64-Core Processor"


def test_without_a_model_name_platform_answers(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n")  # an ARM VM's
    assert cpu_model(info) == (platform.processor() or None)
    assert cpu_model(tmp_path / "missing") == (platform.processor() or None)
