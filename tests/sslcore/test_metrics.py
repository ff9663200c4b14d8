from pathlib import Path

from sslcore.metrics import MetricLogger


def test_csv_grows_columns_and_resume_drops_later_rows(tmp_path: Path):
    log = MetricLogger(tmp_path, tensorboard=False)
    for step in range(1, 5):
        log.log(step, epoch=0, loss=1.0 / step)
    log.log(4, knn_acc=0.5)
    assert (tmp_path / "metrics.csv").read_text().splitlines()[0] == "step,epoch,loss,knn_acc"
    resumed = MetricLogger(tmp_path, resume_step=2, tensorboard=False)
    resumed.log(3, epoch=0, loss=0.25)
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert lines == ["step,epoch,loss,knn_acc", "1,0,1.0,", "2,0,0.5,", "3,0,0.25,"]
