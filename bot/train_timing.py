"""Elapsed time of each component during `rasa train`, printed when training ends.

Rasa's graph runs every node through the same hooks; timing them there covers training,
the featurizers' pass over the training data, and what was restored from Rasa's cache.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Tuple

from rasa.engine.training.hooks import LoggingHook

_started: Dict[str, float] = {}
_elapsed: Dict[str, float] = defaultdict(float)
_restored: set = set()
_order: List[str] = []
_training_started: List[float] = []


def _component_name(hook: LoggingHook, node_name: str, execution_context: Any) -> Tuple[str, bool]:
    node = hook._pruned_schema.nodes[node_name]
    if hook._is_cached_node(node):
        return execution_context.graph_schema.nodes[node_name].uses.__name__, True
    return node.uses.__name__, False


def _before(self: LoggingHook, node_name: str, execution_context: Any, config: Any, received_inputs: Any) -> Dict:
    if not _training_started:
        _training_started.append(time.monotonic())
    _started[node_name] = time.monotonic()
    return _rasa_before(self, node_name, execution_context, config, received_inputs)


def _after(
    self: LoggingHook, node_name: str, execution_context: Any, config: Any, output: Any, input_hook_data: Dict
) -> None:
    name, cached = _component_name(self, node_name, execution_context)
    if name not in _elapsed:
        _order.append(name)
    _elapsed[name] += time.monotonic() - _started.pop(node_name, time.monotonic())
    if cached:
        _restored.add(name)
    _rasa_after(self, node_name, execution_context, config, output, input_hook_data)


def report() -> List[str]:
    """One line per component that took at least 0.1 s, slowest first, then the total."""
    if not _training_started:
        return []
    total = time.monotonic() - _training_started[0]
    lines = ["Training time by component (s):"]
    for name in sorted(_order, key=lambda n: -_elapsed[n]):
        if _elapsed[name] >= 0.1:
            note = "  (restored from cache)" if name in _restored else ""
            lines.append(f"  {_elapsed[name]:7.1f}  {name}{note}")
    lines.append(f"  {total:7.1f}  total of the training graph")
    return lines


def _print_report() -> None:
    """To the file named by TRAIN_TIMING_FILE (bot.build shows it), else to stderr."""
    text = "".join(line + "\n" for line in report())
    target = os.environ.get("TRAIN_TIMING_FILE")
    if target:
        Path(target).write_text(text, encoding="utf-8")
    else:
        print(text, end="", file=sys.stderr, flush=True)


_rasa_before = LoggingHook.on_before_node
_rasa_after = LoggingHook.on_after_node


def install() -> None:
    """Idempotent; affects this process only. The report is printed when the process exits."""
    if LoggingHook.on_before_node is not _before:
        LoggingHook.on_before_node = _before
        LoggingHook.on_after_node = _after
        atexit.register(_print_report)
