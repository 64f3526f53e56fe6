"""docs/coverage.md lists exactly the registered parts and claims."""

from collections import defaultdict
from pathlib import Path

from neuralab.catalog import catalog

PAGE = Path(__file__).resolve().parents[1] / "docs" / "coverage.md"


def _table(header: str, groups: dict[str, list[str]]) -> str:
    lines = [f"| {header} |", "|---|---|---|"]
    for key in sorted(groups):
        names = ", ".join(f"`{n}`" for n in sorted(groups[key]))
        lines.append(f"| {key} | {len(groups[key])} | {names} |")
    return "\n".join(lines)


def _section(text: str, name: str) -> str:
    start = text.index(f"<!-- {name} table: generated")
    body = text[text.index("\n", start) + 1:text.index(f"<!-- end {name} table -->")]
    return body.strip()


def test_the_coverage_page_lists_every_registered_part_and_claim():
    parts: dict[str, list[str]] = defaultdict(list)
    claims: dict[str, list[str]] = defaultdict(list)
    for e in catalog():
        if not e["module"].startswith("neuralab."):
            continue  # registered by a test, not by the package
        if e["kind"] == "claim":
            claims[e["module"].split(".")[2]].append(e["name"])
        else:
            parts[e["kind"]].append(e["name"])
    text = PAGE.read_text(encoding="utf-8")
    expected_parts = _table("kind | registered | names", parts)
    expected_claims = _table("theme | claims | ids", claims)
    assert _section(text, "parts") == expected_parts, f"paste into docs/coverage.md:\n{expected_parts}"
    assert _section(text, "claims") == expected_claims, f"paste into docs/coverage.md:\n{expected_claims}"


README = PAGE.parents[1] / "README.md"


def _readme_row(kind: str) -> str:
    rows = [line for line in README.read_text(encoding="utf-8").splitlines()
            if line.startswith(f"| {kind} |")]
    assert len(rows) == 1, f"README.md has {len(rows)} rows for {kind!r} in its table of parts"
    return rows[0]


def test_the_readme_lists_every_registered_quantizer_and_pruner():
    for kind in ("quantizer", "pruner"):
        row = _readme_row(kind)
        missing = [e["name"] for e in catalog() if e["kind"] == kind
                   and e["module"].startswith("neuralab.") and f"`{e['name']}`" not in row]
        assert not missing, f"README.md's {kind} row lacks {missing}"


def test_the_readme_names_exactly_the_claims_that_train_on_the_asked_device():
    from neuralab.registry import REGISTRY

    text = " ".join(README.read_text(encoding="utf-8").split())
    start = text.index("(`Claim.trains_on_device`: ")
    listed = {name.strip("`,; ") for name in text[start:text.index(")", start)].split()[1:]}
    on_device = {e.name for e in REGISTRY.list("claim") if e.factory.trains_on_device
                 and e.factory.__module__.startswith("neuralab.")}
    assert listed == on_device
