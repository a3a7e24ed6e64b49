"""A non-editable install carries schemas/ and templates/ and runs from another folder."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import EXAMPLE, ROOT


def test_wheel_ships_schemas_and_templates_and_runs_elsewhere(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels), str(ROOT)], check=True, capture_output=True)
    (wheel,) = wheels.glob("roku_packager-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "packager/schemas/roku-feed.schema.json" in names
    assert "packager/templates/text/short_description.j2" in names
    assert "packager/cascades/lbpcascade_frontalface.xml" in names  # smart crops find faces with it
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "roku-packager = packager.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    channel = tmp_path / "channel"
    shutil.copytree(EXAMPLE, channel, ignore=shutil.ignore_patterns("dist", "public"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    where = subprocess.run([sys.executable, "-c", "import packager; print(packager.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(site)  # the installed copy, not the checkout
    build = subprocess.run([sys.executable, "-m", "packager", "build", str(channel), "--out", "out"],
                           cwd=elsewhere, env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    check = subprocess.run([sys.executable, "-m", "packager", "validate", "out/feed.json"],
                           cwd=elsewhere, env=env, capture_output=True, text=True)
    assert check.returncode == 0 and "valid" in check.stdout, check.stdout + check.stderr
    assert "packager/rokuapp/app/source/feedmodel.brs" in names and "packager/rokuapp/app/components/MainScene.xml" in names
    app = subprocess.run([sys.executable, "-m", "packager", "channel", str(channel), "--out", "app.zip"],
                         cwd=elsewhere, env=env, capture_output=True, text=True)
    assert app.returncode == 0 and "source/feedmodel.brs" in zipfile.ZipFile(elsewhere / "app.zip").namelist(), app.stderr
