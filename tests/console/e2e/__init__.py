"""End-to-end tests of the officer console in headless Chromium (Debian's, via Playwright)."""
