"""README and --help stay in agreement with the code."""

import re

from conftest import ROOT

from packager.cli import make_parser
from packager.validate import RULES

README = (ROOT / "README.md").read_text()


def test_every_rule_code_is_documented_and_no_other():
    documented = set(re.findall(r"^\| (DP\d{3}) \|", README, re.M))
    assert documented == set(RULES)


def test_every_cli_flag_is_in_the_readme():
    parser = make_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        assert f"roku-packager {name}" in README
        for action in p._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert flag in README, f"{name} {flag} is not documented"
