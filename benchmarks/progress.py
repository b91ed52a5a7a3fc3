"""Progress of a long benchmark run on stderr: tqdm's bar when tqdm is installed, else one
plain line per step (the standard library only), so logs stay readable either way."""
import sys
import time


class Progress:
    """``with Progress(total) as p: ... p.step("overhead: torch, round 2")``.

    ``enabled=False`` prints nothing (the tests, ``--no-progress``).
    """

    def __init__(self, total, enabled=True, stream=None):
        self.total, self.done, self.enabled = total, 0, enabled and total > 0
        self.stream = stream or sys.stderr
        self._bar = None
        self._t0 = time.perf_counter()
        if self.enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, file=self.stream, unit="run", leave=False,
                                 dynamic_ncols=True)

    def step(self, what):
        """Note that one more of ``total`` steps is done, ``what`` being that step."""
        self.done += 1
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_description_str(what, refresh=False)
            self._bar.update(1)
            return
        elapsed = time.perf_counter() - self._t0
        left = elapsed / self.done * (self.total - self.done)
        print(f"  [{self.done}/{self.total}] {what}  ({elapsed:.0f} s, about {left:.0f} s "
              "left)", file=self.stream, flush=True)

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
