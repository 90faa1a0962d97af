"""Measure the Chinese segmenters and converters the search pipeline could use.

jieba vs rjieba (speed, load time, agreement of precise segmentation) and OpenCC C++ vs pure
Python (speed, agreement), on the real Chinese texts of ../shared/corpus (read at run time).

    .venv/bin/python bench/segmenters.py [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def load_texts(corpus: Path) -> list[str]:
    texts = []
    for path in sorted(corpus.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                texts.append("".join(json.loads(line)["zh_paragraphs"]))
    return texts


def timed(fn, texts, repeat=3):
    best = float("inf")
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = [fn(t) for t in texts]
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
    parser.add_argument("--corpus", type=Path, default=default)
    args = parser.parse_args()
    texts = load_texts(args.corpus)
    chars = sum(len(t) for t in texts)
    print(f"{len(texts)} articles, {chars:,} Chinese characters")

    start = time.perf_counter()
    import rjieba

    rj = rjieba.Jieba()
    rj.cut("预热")
    rj_load = time.perf_counter() - start
    start = time.perf_counter()
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    jb_load = time.perf_counter() - start

    rj_time, rj_out = timed(lambda t: rj.cut(t, True), texts)
    jb_time, jb_out = timed(lambda t: jieba.lcut(t, HMM=True), texts, repeat=1)
    same = sum(a == b for a, b in zip(rj_out, jb_out, strict=True))
    print(f"rjieba 0.2.2: load {rj_load:.2f} s, precise {chars / rj_time / 1e6:.2f} M chars/s")
    print(f"jieba 0.42.1: load {jb_load:.2f} s, precise {chars / jb_time / 1e6:.3f} M chars/s")
    print(f"identical precise segmentation: {same}/{len(texts)} articles")
    rs_time, _ = timed(lambda t: rj.cut_for_search(t, True), texts)
    print(f"rjieba search mode {chars / rs_time / 1e6:.2f} M chars/s")

    import opencc

    cc = opencc.OpenCC("t2s")
    traditional = [opencc.OpenCC("s2t").convert(t) for t in texts]
    cc_time, cc_out = timed(cc.convert, traditional)
    print(f"opencc 1.4.2 (C++) t2s: {chars / cc_time / 1e6:.2f} M chars/s")
    try:
        from opencc_purepy import OpenCC as PureOpenCC
    except ImportError:
        print("opencc-purepy not installed: skipped")
    else:
        pure = PureOpenCC("t2s")
        py_time, py_out = timed(pure.convert, traditional, repeat=1)
        agree = sum(a == b for a, b in zip(cc_out, py_out, strict=True))
        print(
            f"opencc-purepy t2s: {chars / py_time / 1e6:.2f} M chars/s; agree {agree}/{len(texts)}"
        )
    back = sum(a == b for a, b in zip(cc_out, texts, strict=True))
    print(f"s2t then t2s returns the original text for {back}/{len(texts)} articles")


if __name__ == "__main__":
    main()
