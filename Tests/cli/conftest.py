"""Never the developer's own kernel keyring: only Tests/kernel uses that tier, inside its
own `keyctl session -` (the tool's processes inherit this environment)."""
import os

os.environ.setdefault("FLYTEAUTH_KERNEL_KEYRING", "off")
