"""A tiny, real argostranslate package built by the tests, and a way to run argos in isolation.

The package is genuine in every part argos and polystat look at (metadata.json,
a sentencepiece model trained on real corpus text, a CTranslate2 Transformer,
one top folder in a zip): only its weights are random, so its translations are
garbage while installation, lookup, provenance and caching are the real thing.
Building one takes about a second with no network.

argostranslate reads its settings when first imported and creates folders under
the home directory; tests therefore run argos in a child interpreter whose
HOME, XDG_* and ARGOS_* point into a temporary folder (``run_isolated``), and
whose sockets refuse to connect, so a test also proves nothing reached the network.
"""

from __future__ import annotations

import atexit
import importlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
SOURCES = ROOT / "sources"

D_MODEL, D_FF, HEADS, LAYERS = 64, 128, 4, (2, 2)
LANGUAGE_NAMES = {"de": "German", "tr": "Turkish", "zh": "Chinese", "en": "English"}
# A few English lines so the shared vocabulary has target-side pieces too.
_ENGLISH_LINES = [
    "Customer service teams answered more requests than ever before.",
    "Most decision makers say that digital channels are growing fast.",
    "The survey asked service professionals about their work in the pandemic.",
    "Agents need better tools, training and a clear career path.",
]
_RESULT_MARK = "@@polystat-result@@"


# --------------------------------------------------------------------------- the package


def _training_lines() -> list[str]:
    lines = list(_ENGLISH_LINES)
    for path in sorted(SOURCES.glob("*.txt")):
        lines += [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
    return lines


def _train_sentencepiece(target: Path) -> list[str]:
    """Train a sentencepiece model on corpus lines; return its pieces (without specials)."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_training_lines()), model_writer=model, vocab_size=1000,
        model_type="unigram", character_coverage=0.9995, hard_vocab_limit=False,
        minloglevel=2)
    target.write_bytes(model.getvalue())
    processor = spm.SentencePieceProcessor(model_file=str(target))
    specials = {"<unk>", "<s>", "</s>"}
    return [p for p in (processor.id_to_piece(i) for i in range(processor.get_piece_size()))
            if p not in specials]


def _weight_shape(name: str, vocab: int) -> tuple[int, ...]:
    """Shape CTranslate2 expects for a Transformer variable, from its name."""
    if name.endswith(("gamma", "beta")):
        return (D_MODEL,)
    if "embeddings" in name or "projection" in name:
        return (vocab, D_MODEL)
    if "/ffn/linear_0" in name:
        return (D_FF, D_MODEL)
    if "/ffn/linear_1" in name:
        return (D_MODEL, D_FF)
    if "/self_attention/linear_0" in name:
        return (3 * D_MODEL, D_MODEL)  # fused query, key, value
    if "/attention/linear_1" in name:
        return (2 * D_MODEL, D_MODEL)  # fused key, value of the encoder output
    return (D_MODEL, D_MODEL)


def _resolve(spec: Any, path: str) -> tuple[Any, str]:
    """The object holding variable `path` ('encoder/layer_0/ffn/linear_1/weight') and its attr."""
    *scopes, attribute = path.split("/")
    node = spec
    for scope in scopes:
        head, _, index = scope.rpartition("_")
        if index.isdigit() and isinstance(getattr(node, head, None), list):
            node = getattr(node, head)[int(index)]
        else:
            node = getattr(node, scope)
    return node, attribute


def _write_model(folder: Path, pieces: list[str]) -> None:
    import ctranslate2
    import numpy as np

    vocabulary = ["<blank>", "<unk>", "<s>", "</s>", *pieces]
    spec = ctranslate2.specs.TransformerSpec.from_config(LAYERS, HEADS, pre_norm=True)
    rng = np.random.default_rng(0)
    for name, value in spec.variables().items():
        if value is None and name.endswith(("weight", "gamma", "beta")):
            node, attribute = _resolve(spec, name)
            shape = _weight_shape(name, len(vocabulary))
            setattr(node, attribute, rng.normal(0.0, 0.1, shape).astype(np.float32))
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    spec.optimize(quantization=None)
    folder.mkdir(parents=True)
    spec.save(str(folder))


def build_package(out_dir: Path, src: str = "de", tgt: str = "en", version: str = "0.1",
                  with_stanza_dir: bool = False) -> Path:
    """Write translate-<src>_<tgt>-<version>.argosmodel into out_dir and return its path.

    with_stanza_dir adds an (empty) stanza/ folder like the index packages carry; argos
    itself would then ask the internet for Stanza resources on the first translation.
    """
    top = f"translate-{src}_{tgt}"
    work = Path(tempfile.mkdtemp(prefix="polystat-argos-build-"))
    try:
        root = work / top
        root.mkdir()
        pieces = _train_sentencepiece(root / "sentencepiece.model")
        _write_model(root / "model", pieces)
        if with_stanza_dir:
            (root / "stanza").mkdir()
        metadata = {"package_version": version, "argos_version": "1.11", "from_code": src,
                    "from_name": LANGUAGE_NAMES.get(src, src), "to_code": tgt,
                    "to_name": LANGUAGE_NAMES.get(tgt, tgt), "type": "translate", "links": []}
        (root / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{top}-{version.replace('.', '_')}.argosmodel"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(root.rglob("*")):
                archive.write(file, file.relative_to(work).as_posix())
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


_SESSION_DIR: list[Path] = []


@cache
def tiny_package(src: str = "de", tgt: str = "en", version: str = "0.1",
                 with_stanza_dir: bool = False) -> Path:
    """build_package, once per test session for each set of arguments."""
    if not _SESSION_DIR:
        _SESSION_DIR.append(Path(tempfile.mkdtemp(prefix="polystat-argos-pkgs-")))
        atexit.register(shutil.rmtree, _SESSION_DIR[0], True)
    folder = _SESSION_DIR[0] / f"{src}-{tgt}-{version}-{int(with_stanza_dir)}"
    return build_package(folder, src, tgt, version, with_stanza_dir)


# --------------------------------------------------------------------------- isolation


def isolated_env(root: Path, models_dir: Path | None = None) -> dict[str, str]:
    """Environment of a child whose home, argos and XDG folders all live under `root`."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ARGOS_", "XDG_", "POLYSTAT_"))}
    env.update({
        "HOME": str(root / "home"),
        "XDG_DATA_HOME": str(root / "xdg-data"),
        "XDG_CONFIG_HOME": str(root / "xdg-config"),
        "XDG_CACHE_HOME": str(root / "xdg-cache"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)]),
    })
    if models_dir is not None:
        env["ARGOS_PACKAGES_DIR"] = str(models_dir)
        env["POLYSTAT_MODELS_DIR"] = str(models_dir)
    (root / "home").mkdir(parents=True, exist_ok=True)
    return env


def run_isolated(target: str, root: Path, *, env_models_dir: Path | None = None,
                 timeout: float = 180, **kwargs: Any) -> dict[str, Any]:
    """Run `module:function(**kwargs)` in a child interpreter isolated under `root`.

    env_models_dir becomes the child's POLYSTAT_MODELS_DIR (and ARGOS_PACKAGES_DIR).

    The function returns a JSON-able dict; the child adds ``network_attempts``, the
    addresses anything tried to connect to (all refused).
    """
    env = isolated_env(root, env_models_dir)
    code = f"import argos_tiny; argos_tiny.child_main({target!r}, {json.dumps(kwargs)!r})"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(root),
                          capture_output=True, text=True, timeout=timeout, check=False)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_RESULT_MARK):
            result: dict[str, Any] = json.loads(line[len(_RESULT_MARK):])
            result["stderr"] = done.stderr
            return result
    raise RuntimeError(f"child {target} exited {done.returncode} without a result:\n"
                       f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _refuse_network(attempts: list[str]) -> None:
    """Make every outgoing connection fail the way it does on an offline machine.

    Loopback stays open so a test can serve a package index from this machine.
    """
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    create_connection, getaddrinfo = socket.create_connection, socket.getaddrinfo

    def is_loopback(address: Any) -> bool:
        host = address[0] if isinstance(address, tuple) else address
        return host in _LOOPBACK

    def refuse(address: Any) -> None:
        attempts.append(str(address))
        raise OSError(101, "Network is unreachable (blocked by the test)")

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        return connect(self, address) if is_loopback(address) else refuse(address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        return connect_ex(self, address) if is_loopback(address) else refuse(address)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        if is_loopback(address):
            return create_connection(address, *args, **kwargs)
        return refuse(address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        return getaddrinfo(host, *args, **kwargs) if is_loopback(host) else refuse(host)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.create_connection = guarded_create_connection  # type: ignore[assignment]
    socket.getaddrinfo = guarded_getaddrinfo  # type: ignore[assignment]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        pass  # request lines would land in the CLI output under test


@contextmanager
def local_index(packages: list[Path], folder: Path) -> Iterator[str]:
    """Serve an argos package index listing `packages` on loopback; yields its base URL."""
    folder.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    index = []
    for package in packages:
        shutil.copy(package, folder / package.name)
        with zipfile.ZipFile(package) as archive:
            meta = next(n for n in archive.namelist() if n.endswith("/metadata.json"))
            metadata = json.loads(archive.read(meta))
        index.append({**metadata, "links": [base + package.name]})
    (folder / "index.json").write_text(json.dumps(index), encoding="utf-8")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def child_main(target: str, kwargs_json: str) -> None:
    attempts: list[str] = []
    _refuse_network(attempts)
    module_name, function_name = target.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(**json.loads(kwargs_json))
    result["network_attempts"] = attempts
    print(_RESULT_MARK + json.dumps(result, ensure_ascii=False, default=str))
