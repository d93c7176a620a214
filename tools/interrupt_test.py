"""Ctrl-C on a tool under labdata.run_main(): children gone, temporary files removed, one line, exit 130."""
import os
import signal
import subprocess
import time
import unittest

import labdata

PROBE = "tools/interrupt_probe"


def children_of(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(d))
    return out


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class InterruptTest(unittest.TestCase):
    def test_sigint_stops_the_child_and_cleans_up(self):
        proc = subprocess.Popen([labdata.runfile(PROBE)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tmp = proc.stdout.readline().strip()
        self.assertTrue(os.path.exists(tmp), tmp)
        def cmd(pid):
            try:
                with open("/proc/%d/cmdline" % pid) as f:
                    return f.read().split("\0")[0]
            except OSError:
                return ""
        # The child exists from fork on, but is `sleep` only once it has exec'd (a loaded machine
        # shows the window): wait for both.
        deadline = time.time() + 20
        kids = []
        while time.time() < deadline:
            kids = children_of(proc.pid)
            if len(kids) == 1 and cmd(kids[0]) == "sleep":
                break
            time.sleep(0.05)
        self.assertEqual(len(kids), 1, "the probe did not start sleep")
        self.assertEqual(cmd(kids[0]), "sleep")
        time.sleep(0.2)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 130, err)
        self.assertEqual(err.strip().splitlines(),
                         ["probe: interrupted; nothing stored for the states being measured"])
        self.assertNotIn("Traceback", err)
        self.assertFalse(os.path.exists(tmp), "temporary file left behind")
        deadline = time.time() + 5
        while alive(kids[0]) and time.time() < deadline:
            time.sleep(0.05)
        self.assertFalse(alive(kids[0]), "sleep (pid %d) still runs" % kids[0])


if __name__ == "__main__":
    unittest.main()
