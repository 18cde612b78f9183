"""Debian's Chromium driven by Playwright, offline: shared by the browser test and `make screenshot`.

Playwright's own browser download is never used (`playwright install` needs a host we cannot
reach); the system `chromium` is launched by path with a throwaway profile. Every request that
is not file:, data: or blob: is aborted and recorded, and console errors and page errors are
collected, so a caller can assert that the page needed nothing from outside.

    python -m tests.browser screenshot warehouse/report.html docs/report.png
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

LOCAL_SCHEMES = ("file:", "data:", "blob:")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
READY_SELECTOR = "body[data-ready='true']"


class BrowserMissing(RuntimeError):
    """No `chromium` on PATH: `make test` installs it (apt-get install chromium)."""


@dataclass
class PageWatch:
    """What a page did that a self-contained report must not do."""

    blocked_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise BrowserMissing(
            "chromium is not installed: run `make test` (it installs it) or "
            "`apt-get install -y --no-install-recommends chromium`"
        )
    return path


@contextmanager
def watched_page(viewport: dict[str, int] | None = None, scale: float = 1.0
                 ) -> Iterator[tuple[object, PageWatch]]:
    """A fresh Chromium page (own temporary profile) whose outside requests are blocked."""
    from playwright.sync_api import sync_playwright

    watch = PageWatch()
    with tempfile.TemporaryDirectory(prefix="wirehouse-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=chromium_path(),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=viewport or {"width": 1100, "height": 900},
            offline=True,
            device_scale_factor=scale,
        )
        try:
            def route(r) -> None:
                url = r.request.url
                if url.startswith(LOCAL_SCHEMES):
                    r.continue_()
                else:
                    watch.blocked_requests.append(url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: watch.page_errors.append(str(e)))
            yield page, watch
        finally:
            context.close()


def open_report(page, report: Path, timeout_ms: int = 15_000) -> float:
    """Load the report from disk and wait for its ready marker; seconds until ready."""
    import time

    started = time.perf_counter()
    page.goto(report.resolve().as_uri())
    page.wait_for_selector(READY_SELECTOR, state="attached", timeout=timeout_ms)
    return time.perf_counter() - started


def screenshot(report: Path, target: Path, width: int = 1100, scale: float = 0.75) -> PageWatch:
    """A full-page PNG of the report, as the README shows it (scaled down to stay small)."""
    with watched_page({"width": width, "height": 900}, scale) as (page, watch):
        open_report(page, report)
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)
    return watch


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "screenshot":
        print("usage: python -m tests.browser screenshot REPORT.html OUT.png", file=sys.stderr)
        return 2
    watch = screenshot(Path(argv[1]), Path(argv[2]))
    problems = watch.blocked_requests + watch.console_errors + watch.page_errors
    if problems:
        print("the report was not self-contained or had errors:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"wrote {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
