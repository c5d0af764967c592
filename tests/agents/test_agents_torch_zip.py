"""torch.save files read without torch: bit-for-bit arrays, views, both layouts, and refusals."""

import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from agent_writers import Storage, Tensor, dumps, fake_global, torch_legacy_bytes, torch_zip_bytes

from policyscape.agents.torch_zip import read_state_dict, read_torch, read_torch_bytes
from policyscape.errors import InputError


def arrays():
    r = np.random.default_rng(7)
    return OrderedDict([
        ("mlp.0.weight", r.normal(size=(4, 3)).astype(np.float32)),
        ("mlp.0.bias", r.normal(size=4).astype(np.float32)),
        ("double", r.normal(size=(2, 2, 2))),
        ("half", r.normal(size=5).astype(np.float16)),
        ("steps", np.arange(-3, 3, dtype=np.int64)),
        ("int32", np.arange(4, dtype=np.int32)),
        ("mask", np.array([True, False, True])),
        ("bytes", np.arange(5, dtype=np.uint8)),
        ("scalar", np.array(1.5, dtype=np.float32)),
        ("empty", np.zeros((0, 3), dtype=np.float32)),
        ("special", np.array([np.inf, -np.inf, -0.0, 1e-45, np.finfo(np.float32).max], dtype=np.float32)),
    ])


def assert_bitwise_equal(got, want):
    assert list(got) == list(want)
    for key in want:
        assert got[key].dtype == want[key].dtype, key
        assert got[key].shape == want[key].shape, key
        assert got[key].tobytes() == want[key].tobytes(), key


@pytest.mark.parametrize("layout", ["zip", "zip-big-endian", "zip-no-byteorder", "zip-named-root", "legacy"])
def test_arrays_round_trip_bit_for_bit(layout):
    want = arrays()
    data = {
        "zip": lambda: torch_zip_bytes(want),
        "zip-big-endian": lambda: torch_zip_bytes(want, big_endian=True),
        "zip-no-byteorder": lambda: torch_zip_bytes(want, byteorder_record=False),
        "zip-named-root": lambda: torch_zip_bytes(want, root="ppo_continuous_action"),
        "legacy": lambda: torch_legacy_bytes(want),
    }[layout]()
    assert_bitwise_equal(read_state_dict(data, "agent.pth"), want)


def test_offsets_strides_and_shared_storage():
    base = np.arange(24, dtype=np.float32)
    storage = Storage(base)
    obj = OrderedDict([
        ("transposed", Tensor(storage, 0, (4, 6), (1, 4))),      # a transposed view of a 6×4 matrix
        ("offset", Tensor(storage, 5, (3,), (2,))),              # elements 5, 7, 9
        ("broadcast", Tensor(storage, 2, (2, 3), (0, 1))),       # a stride-0 (expanded) view
        ("param", Tensor(Storage(np.ones(2, np.float64)), 0, (2,), (1,), parameter=True)),
    ])
    got = read_state_dict(torch_zip_bytes(obj), "views.pth")
    np.testing.assert_array_equal(got["transposed"], base.reshape(6, 4).T)
    np.testing.assert_array_equal(got["offset"], [5, 7, 9])
    np.testing.assert_array_equal(got["broadcast"], [[2, 3, 4], [2, 3, 4]])
    np.testing.assert_array_equal(got["param"], [1.0, 1.0])
    assert got["transposed"].flags.c_contiguous and got["transposed"].flags.writeable


def test_nested_objects_and_file_path(tmp_path):
    obj = (OrderedDict([("w", np.eye(2, dtype=np.float32))]), {"b": [np.zeros(1), 3, "x"]})
    path = tmp_path / "model.cleanrl_model"
    path.write_bytes(torch_zip_bytes(obj))
    got = read_torch(path)
    assert isinstance(got, tuple) and list(got[0]) == ["w"]
    np.testing.assert_array_equal(got[0]["w"], np.eye(2))
    assert got[1]["b"][1:] == [3, "x"]


class _System:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


class _Open:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (str(self.target), "w"))


@pytest.mark.parametrize("payload", [_System, _Open])
def test_malicious_pickle_is_refused_by_name_and_never_runs(tmp_path, payload):
    target = tmp_path / "pwned"
    data = torch_zip_bytes(OrderedDict([("w", np.zeros(2, np.float32))]))
    evil = pickle.dumps(OrderedDict([("w", payload(target))]), protocol=2)
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        members = {n: src.read(n) for n in src.namelist()}
    members["archive/data.pkl"] = evil
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for name, raw in members.items():
            dst.writestr(name, raw)
    func = os.system if payload is _System else open
    with pytest.raises(InputError, match=rf"evil\.pth: refused {func.__module__}\.{func.__name__}"):
        read_torch_bytes(buf.getvalue(), "evil.pth")
    assert not target.exists()


@pytest.mark.parametrize("name", ["builtins eval", "posix system", "torch load", "numpy load", "subprocess Popen",
                                  "torch._utils _rebuild_qtensor", "collections Counter"])
def test_any_global_off_the_list_is_refused(name):
    raw = b"\x80\x02c" + name.replace(" ", "\n").encode() + b"\nq\x00X\x02\x00\x00\x00hi\x85R."
    with pytest.raises(InputError, match="refused " + name.replace(" ", r"\.")):
        read_torch_bytes(_zip_with_pickle(raw), "x.pth")


def _zip_with_pickle(raw: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("archive/data.pkl", raw)
    return buf.getvalue()


def test_refusals_of_malformed_files():
    good = torch_zip_bytes(OrderedDict([("w", np.arange(6, dtype=np.float32))]))
    cases = {
        "garbage": b"this is not a torch file",
        "empty": b"",
        "truncated zip": good[: len(good) // 2],
        "zip without data.pkl": _zip_without(good, "archive/data.pkl"),
        "missing storage": _zip_without(good, "archive/data/0"),
        "truncated pickle": _zip_with_pickle(_member(good, "archive/data.pkl")[:-8]),
        "legacy garbage": b"\x80\x02K\x01.",
    }
    for label, data in cases.items():
        with pytest.raises(InputError):
            read_torch_bytes(data, label)
    # a storage too small for its tensor
    short = Tensor(Storage(np.arange(4, dtype=np.float32)), 2, (3,), (1,))
    with pytest.raises(InputError, match="reaches element 4 of storage '0', which has 4"):
        read_torch_bytes(torch_zip_bytes(OrderedDict([("w", short)])), "short.pth")
    # a state dict must map names to tensors
    with pytest.raises(InputError, match="expected a state dict"):
        read_state_dict(torch_zip_bytes([np.zeros(1)]), "list.pth")


def test_persistent_ids_and_storage_types_are_checked():
    bad_type = fake_global("torch.ObjectStorage")
    raw = dumps(OrderedDict(), 2)
    assert read_state_dict(_zip_with_pickle(raw), "empty.pth") == {}

    class Odd:
        def __reduce__(self):
            return (bad_type, ())

    with pytest.raises(InputError, match="refused torch.ObjectStorage"):
        read_torch_bytes(_zip_with_pickle(dumps(OrderedDict([("w", Odd())]), 2)), "odd.pth")
    pid_not_storage = dumps(OrderedDict([("w", 1)]), 2, persistent=lambda o: ("module", "x") if o == 1 else None)
    with pytest.raises(InputError, match="refused a persistent id"):
        read_torch_bytes(_zip_with_pickle(pid_not_storage), "pid.pth")


def _member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def _zip_without(data: bytes, drop: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for name in src.namelist():
            if name != drop:
                dst.writestr(name, src.read(name))
    return buf.getvalue()


def test_deep_nesting_and_numpy_class_calls_are_input_errors(tmp_path):
    n = 100_000
    nested = b"\x80\x02" + b"]" * n + b"a" * (n - 1) + b"."  # a list in a list … n deep
    with pytest.raises(InputError, match="nested too deeply"):
        read_torch_bytes(_zip_with_pickle(nested), "deep.pth")
    from policyscape.agents.normalization import read_vecnormalize

    path = tmp_path / "ndarray.pkl"
    path.write_bytes(b"\x80\x02cnumpy\nndarray\nK\x05\x85R.")  # numpy.ndarray(5): not callable here
    with pytest.raises(InputError, match="not a readable pickle"):
        read_vecnormalize(path)
