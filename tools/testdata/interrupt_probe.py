"""Test helper for interrupt_test: a tool that makes a temporary file, prints its path, and waits
on `sleep 30` started through labdata.run(), under labdata.run_main()."""
import sys

import labdata


def main():
    tmp = labdata.temp_path(prefix="hakmem-probe-")
    labdata.set_interrupt_message("interrupted; nothing stored for the states being measured")
    print(tmp, flush=True)
    labdata.run(["sleep", "30"])
    print("sleep ended without an interrupt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    labdata.run_main(main, "probe")
