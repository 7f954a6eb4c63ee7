"""Device monitors for the emulated MLUs: `cnmon`, and in `gpu2mlu run` also `nvidia-smi`.

Launch scripts call the vendor's monitor before training (`nvidia-smi` in the original, `cnmon`
once converted). A CPU machine has neither, so the runner puts small shell stand-ins on the
command's PATH. The program names come from the converter's table (launch.toml
`programs.renamed`), so the names the converter renames are exactly the ones mapped here.
In run mode the CUDA name answers too, and each call is logged as a runtime mapping; over a real
torch_mlu it runs the real `cnmon` with the same arguments (as the converted script would).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from gpu2mlu.rules import load_table


def renamed_programs() -> dict[str, str]:
    """CUDA program -> MLU program, e.g. {"nvidia-smi": "cnmon"}."""
    return dict(load_table("launch.toml")["programs"]["renamed"])


def _listing(shown_as: str) -> str:
    # The same device count the emulator uses (MLU_EMU_DEVICE_COUNT, narrowed by
    # MLU_VISIBLE_DEVICES), printed as a short table.
    return (
        'n="${MLU_EMU_DEVICE_COUNT:-1}"\n'
        'if [ -n "${MLU_VISIBLE_DEVICES+x}" ]; then\n'
        '  ids=$(printf %s "$MLU_VISIBLE_DEVICES" | tr "," " ")\n'
        'else\n'
        '  ids=$(seq 0 $((n - 1)))\n'
        'fi\n'
        f'echo "{shown_as} (gpu2mlu stand-in): emulated MLUs on the host CPU"\n'
        'for i in $ids; do echo "  MLU $i: gpu2mlu emulated MLU"; done\n'
    )


def _log_call(cuda: str, mlu: str) -> str:
    """Shell that appends one runtime-mapping event (the Python side's "run-call" schema)."""
    fields = {"kind": "run-call", "id": 0, "status": "mapped", "api": cuda, "to": mlu,
              "rule": "launch", "finding": None, "file": None, "line": None, "package": None}
    head = json.dumps(fields)[:-1]  # the pid and the caller are filled in at run time
    return (
        'if [ -n "${GPU2MLU_VERIFY_EVENTS:-}" ]; then\n'
        # the calling command line, cut to characters that need no JSON escaping
        '  caller=$(tr "\\000" " " < /proc/$PPID/cmdline 2>/dev/null | tr -cd "[:alnum:] ./_=:,+-" '
        '| cut -c1-200 | sed "s/ *$//")\n'
        f"  printf '%s, \"pid\": %s, \"where\": \"%s\"}}\\n' {shlex.quote(head)} \"$$\" "
        '"${caller:-<shell>}" >> "$GPU2MLU_VERIFY_EVENTS"\n'
        "fi\n"
    )


def install(folder: Path, mode: str, emulated: bool = True) -> Path:
    """Write the stand-ins into `folder`/bin and return that folder (for PATH).

    emulated False (a real torch_mlu): the real MLU programs stay; CUDA names run them."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    scripts = {}
    for cuda, mlu in renamed_programs().items():
        if emulated:
            scripts[mlu] = "#!/bin/sh\n" + _listing(mlu)
        if mode == "run":
            answer = _listing(f"{cuda} -> {mlu}") if emulated else f'exec {mlu} "$@"\n'
            scripts[cuda] = "#!/bin/sh\n" + _log_call(cuda, mlu) + answer
    for name, text in scripts.items():
        path = bin_dir / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755)
    return bin_dir
