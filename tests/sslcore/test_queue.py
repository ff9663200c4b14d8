import torch
import torch.nn.functional as F

from sslcore.queue import KeyQueue


def test_fifo_order_and_wraparound():
    q = KeyQueue(5, 2)
    batches = [torch.full((2, 2), float(i)) for i in range(1, 5)]  # 8 keys into 5 slots
    for b in batches:
        q.enqueue(b)
    values = q.ordered()[:, 0].tolist()
    assert values == [2.0, 3.0, 3.0, 4.0, 4.0]  # the last five keys, oldest first
    assert int(q.ptr) == 8 % 5


def test_more_keys_than_slots_keeps_newest():
    q = KeyQueue(3, 1)
    q.enqueue(torch.arange(7.0)[:, None])
    assert sorted(q.keys[:, 0].tolist()) == [4.0, 5.0, 6.0]
    assert q.ordered()[:, 0].tolist() == [4.0, 5.0, 6.0]


def test_initial_keys_are_unit_vectors_and_in_state_dict():
    q = KeyQueue(8, 4, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(q.keys.norm(dim=1), torch.ones(8))
    assert set(q.state_dict()) == {"keys", "ptr"}
    assert torch.allclose(F.normalize(q.keys, dim=1), q.keys)
