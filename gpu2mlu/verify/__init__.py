"""`gpu2mlu verify`: run a converted project on an emulated MLU on a CPU-only machine.

Parent side (this package): cli -> runner (env, subprocess, summary), build
(JIT C++ extension), api_surface (torch_mlu names from gpu2mlu.rules), events
(summary of the processes' JSON-lines log).  `--compare`: compare (two runs, verdict), lines
(the output rule), checkpoints (saved-file pairing), capture (piped output), ckptdiff (the torch
child that compares checkpoints).  Child side: standin/ (sitecustomize, the process log and
the run layer _gpu2mlu_migration) and standin/_gpu2mlu_emulator/torch_mlu (the emulated MLU,
left out over a real torch_mlu), put first on the command's PYTHONPATH.  Importing this package
needs no torch.
"""

from .runner import VerifyConfig, VerifyResult, run

__all__ = ["VerifyConfig", "VerifyResult", "run"]
