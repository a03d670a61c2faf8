"""The README's table of validation codes is the code registry, code for code."""

from __future__ import annotations

from pathlib import Path

from feeds.validate.base import CODES, FAMILIES
from feeds.validate.codes import BEGIN, END, codes_markdown, main, with_table
from feeds.validate.json_feed import JSON_CODES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_code_with_its_severity_as_the_registry_has_it():
    text = README.read_text(encoding="utf-8")
    table = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    assert table.strip() == codes_markdown().strip(), "run: python -m feeds.validate.codes"
    for code, (severity, _summary) in {**CODES, **JSON_CODES}.items():
        assert f"| `{code}` | {severity} |" in table


def test_every_code_belongs_to_a_family_with_its_specifications():
    for code in {**CODES, **JSON_CODES}:
        assert code.split("-", 1)[0] in FAMILIES
    assert all(specs for _title, specs in FAMILIES.values())


def test_the_generator_rewrites_a_stale_table_and_check_fails_on_it(tmp_path, capsys):
    stale = tmp_path / "README.md"
    stale.write_text(f"intro\n{BEGIN}\n| `old-code` | error | gone |\n{END}\nend\n", "utf-8")
    assert main([str(stale), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main([str(stale)]) == 0
    assert stale.read_text("utf-8") == with_table(stale.read_text("utf-8"))
    assert "old-code" not in stale.read_text("utf-8")
    assert main([str(stale), "--check"]) == 0
