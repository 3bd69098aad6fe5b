"""A readable device name from a User-Agent, for the sessions page (ACCT-5)."""

from __future__ import annotations

import pytest

from consentry.domain.accounts.user_agents import describe, is_mobile

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36 Edg/124.0.2478.80"
)
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0"
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)
SAMSUNG_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"
)
OPERA_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36 OPR/109.0.0.0"
)
CHROME_OS = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36"
)
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 "
    "Safari/537.36"
)


@pytest.mark.parametrize(
    ("agent", "shown"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (CHROME_IPHONE, "Chrome on iPhone"),  # CriOS says Safari too: the specific name wins
        (EDGE_WINDOWS, "Edge on Windows"),  # Edge says Chrome and Safari too
        (FIREFOX_MAC, "Firefox on macOS"),
        (SAFARI_MAC, "Safari on macOS"),
        (SAMSUNG_ANDROID, "Samsung Internet on Android"),  # Android says Linux too
        (OPERA_WINDOWS, "Opera on Windows"),
        (CHROME_OS, "Chrome on ChromeOS"),
        (HEADLESS, "Headless Chrome on Linux"),
        ("curl/8.5.0", "curl"),
        ("python-httpx/0.27.0", "Python httpx"),
        ("Mozilla/5.0 (X11; Linux x86_64)", "A browser on Linux"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
        ("   ", "Unknown browser"),
        ("zz-top/1.0", "Unknown browser"),
    ],
)
def test_device_names(agent: str | None, shown: str) -> None:  # ACCT-5
    assert describe(agent) == shown


def test_phones_are_told_from_computers() -> None:  # ACCT-5
    assert is_mobile(SAFARI_IPHONE) and is_mobile(SAMSUNG_ANDROID) and is_mobile(CHROME_IPHONE)
    assert not is_mobile(CHROME_LINUX) and not is_mobile(FIREFOX_MAC) and not is_mobile(None)
