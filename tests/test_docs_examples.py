"""Every command example of README.md and docs/*.md runs, and prints what the page shows.

The convention is in tests/docs_examples.py and docs/contributing-docs.md: fenced blocks whose
first line starts with `$ ` are commands and their expected output; `...` matches any run of
lines; timings are normalized; a nonzero exit code must be shown (`; echo "exit $?"`); blocks
marked `<!-- not-run: REASON -->` are skipped and reported here as skipped tests.
"""
from __future__ import annotations

import textwrap

import pytest

from tests import docs_examples as dx

BLOCKS: list[dx.Block] = []
PAGE_ERRORS: list[str] = []
for _path in dx.markdown_files():
    try:
        BLOCKS += dx.parse(_path.read_text(), str(_path.relative_to(dx.ROOT)))
    except dx.DocsError as error:
        PAGE_ERRORS.append(str(error))
# The blocks that do not run, each with its reason; adding one is a decision, so it is counted.
MAX_NOT_RUN = 10


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_docs_example(block):
    if block.skip is not None:
        pytest.skip(f"not-run: {block.skip}")
    if block.missing():
        pytest.skip(f"needs {', '.join(block.missing())} on PATH")
    for outcome in dx.run_block(block):
        assert outcome.ok, (f"{block.path}:{outcome.command.line}: $ {outcome.command.text}\n"
                            + outcome.diff())


def test_the_pages_follow_the_convention():
    assert PAGE_ERRORS == []


def test_the_not_run_blocks_are_few_and_give_a_reason():
    skipped = [b for b in BLOCKS if b.skip is not None]
    assert len(skipped) <= MAX_NOT_RUN, [b.name for b in skipped]
    assert all(len(b.skip) > 10 for b in skipped)
    assert sum(len(b.commands) for b in BLOCKS if b.skip is None) >= 30


SAMPLE = textwrap.dedent("""\
    Some text.

    ```
    $ echo hello; echo world
    hello
    planet
    ```
    """)


def test_the_runner_reports_a_wrong_expected_output():
    [block] = dx.parse(SAMPLE)
    [outcome] = dx.run_block(block)
    assert not outcome.ok and outcome.actual == ["hello", "world"]
    assert "-planet" in outcome.diff() and "+world" in outcome.diff()


def test_the_runner_fails_a_file_with_a_mismatch_and_counts_it(tmp_path, capsys):
    page = tmp_path / "page.md"
    page.write_text(SAMPLE)
    assert dx.main([str(page)]) == 1
    assert "1 commands run (1 failed)" in capsys.readouterr().out


def test_ellipsis_timings_exit_codes_and_diffproof_substitution():
    sample = textwrap.dedent("""\
        ```
        $ printf 'a\\nb\\nc\\nd (0.19s)\\n   12.50s  x\\n'
        a
        ...
        d (3.00s)
          1.00s  x
        $ false; echo "exit $?"
        exit 1
        $ diffproof --help | head -1
        usage: diffproof [-h] [--version]
        ```
        """)
    outcomes = dx.run_block(dx.parse(sample)[0])
    assert [o.ok for o in outcomes][:2] == [True, True], [o.diff() for o in outcomes]
    assert dx.shell_command("diffproof check x") .endswith("-m diffproof check x")
    assert dx.shell_command("PATH=/x diffproof latex").startswith("PATH=/x ")
    assert "claim 'diffproof'" in dx.shell_command("diffproof claim 'diffproof'")


def test_an_unshown_nonzero_exit_code_is_a_mismatch():
    [outcome] = dx.run_block(dx.parse("```\n$ echo out; exit 3\nout\n```\n")[0])
    assert not outcome.ok and "exit code 3" in outcome.actual[-1]


def test_a_command_block_without_dollar_lines_must_be_marked():
    with pytest.raises(dx.DocsError, match="without '\\$ ' lines"):
        dx.parse("```\ndiffproof check\n```\n")
    [block] = dx.parse("<!-- not-run: installs packages -->\n\n```\npip install x\n```\n")
    assert block.skip == "installs packages"
    [block] = dx.parse("<!-- requires: pdflatex no-such-program-x -->\n```\n$ true\n```\n")
    assert block.requires == ("pdflatex", "no-such-program-x") and "no-such-program-x" in block.missing()


def test_a_here_document_is_part_of_the_command():
    sample = "```\n$ python - <<'EOF'\nprint(6 * 7)\nEOF\n42\n```\n"
    [block] = dx.parse(sample)
    assert block.commands[0].expected == ["42"]
    assert all(o.ok for o in dx.run_block(block))
