"""The demo database generator, for `telesales demo`, the tests and the benchmarks.

It is not the domain: it writes a believable call centre through the domain's tables and rules, so it sits
above `orders/` and `db/`, beside the CLI that runs it. It never imports Textual (it lives in `tui/` only for
its place in the layers), and no production module but the CLI's demo command imports it; both are
import-linter contracts in pyproject.toml.
"""

from tui.demo.generator import (
    DEMO_PIN,
    SIZES,
    BuildResult,
    DemoError,
    DemoSize,
    demo_database_url,
    ensure_demo,
    holiday_uplift,
)

__all__ = [
    "DEMO_PIN",
    "SIZES",
    "BuildResult",
    "DemoError",
    "DemoSize",
    "demo_database_url",
    "ensure_demo",
    "holiday_uplift",
]
