"""Pipelines benchmark: records per second through each image recipe (pipelines/commons, met, inaturalist) against
archive stand-ins on 127.0.0.1.

    python3 benchmarks/bench_image_pipelines.py [--records 400] [--runs 1] [--only commons]

* Archives: the API answers and tables in the recorded formats of tests/data/pipelines/<collection>/, repeated
  with new ids up to ``--records`` items (Commons: 50 files an answer, followed by ``continue``; the Met: the
  object list, then one answer per object; iNaturalist: the four tables, gzip'd, on a moto S3 server). Every item
  is CC0 with its own picture (a 320x240 JPEG of about 10 KB, made with Pillow), so every record goes the whole way:
  listing, mapping, image fetch, verification, rights, exact and pHash dedup, Parquet.
* Servers run in their own processes (the archive stand-in of tests/archive_server.py, or ``moto_server``), so
  the figure is pdcorpus's, not the server's.
* ``pdcorpus build pipelines/<c>/corpus.yaml --workers 1`` runs as a command, with the recipe's politeness limits
  lifted through its variables (``*_RPS=100000``, ``*_BURST=1000``): a real archive is paced by its own limits
  (see each README), not by pdcorpus.
* **records/s = records read / wall seconds of the whole command** (start-up, planning and writing included).

Prints one line per recipe; the figures are quoted in each recipe's README.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "tests" / "data" / "pipelines"
sys.path.insert(0, str(ROOT / "tests"))


def image(seed: int) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:240, 0:320] / 320
    base = np.stack([128 + 100 * np.sin(2 * np.pi * (rng.uniform(-3, 3) * x + rng.uniform(-3, 3) * y))
                     for _ in range(3)], axis=-1)
    out = io.BytesIO()
    Image.fromarray(base.clip(0, 255).astype("uint8")).save(out, "JPEG", quality=85)
    return out.getvalue()


# -- the archives, N items each ------------------------------------------------------------------------------


def commons_routes(n: int) -> tuple[dict[str, bytes], list[bytes]]:
    template = json.loads((DATA / "commons" / "listing-1.json").read_text())["query"]["pages"][0]
    files, pages = {}, []
    for start in range(0, n, 50):
        items = []
        for i in range(start, min(n, start + 50)):
            page = json.loads(json.dumps(template))
            page["pageid"], page["title"] = 1000 + i, f"File:Bench {i}.jpg"
            info = page["imageinfo"][0]
            info["thumburl"] = info["url"] = f"{{{{BASE}}}}/upload/bench/{i}.jpg"
            info["extmetadata"]["ImageDescription"]["value"] = f"Benchmark picture number {i}, a harbour scene."
            items.append(page)
            files[f"/upload/bench/{i}.jpg"] = image(i)
        answer = {"batchcomplete": True, "query": {"pages": items}}
        if start + 50 < n:
            answer["continue"] = {"gcmcontinue": f"file|bench|{start + 50}", "continue": "gcmcontinue||"}
        pages.append(json.dumps(answer).encode())
    return files, pages


def met_routes(n: int) -> tuple[dict[str, bytes], dict[str, bytes]]:
    template = json.loads((DATA / "met" / "object-436535.json").read_text())
    files, objects = {}, {}
    for i in range(n):
        obj = dict(template, objectID=500000 + i, title=f"Benchmark painting {i}",
                   primaryImageSmall=f"{{{{BASE}}}}/CRDImages/bench/web-large/{i}.jpg",
                   primaryImage=f"{{{{BASE}}}}/CRDImages/bench/original/{i}.jpg")
        objects[f"/public/collection/v1/objects/{500000 + i}"] = json.dumps(obj).encode()
        files[f"/CRDImages/bench/web-large/{i}.jpg"] = image(10000 + i)
    objects["/public/collection/v1/objects"] = json.dumps(
        {"total": n, "objectIDs": [500000 + i for i in range(n)]}).encode()
    return files, objects


def serve(port_out: mp.Queue, kind: str, n: int) -> None:
    from archive_server import ArchiveServer, Reply

    if kind == "commons":
        files, pages = commons_routes(n)

        def answer(path: str, query: dict[str, str]) -> Reply | None:
            if path != "/w/api.php":
                return None
            at = int(query["gcmcontinue"].rsplit("|", 1)[1]) // 50 if "gcmcontinue" in query else 0
            return Reply(200, pages[at].replace(b"{{BASE}}", server.base.encode()))
    else:
        files, objects = met_routes(n)

        def answer(path: str, query: dict[str, str]) -> Reply | None:
            body = objects.get(path)
            return None if body is None else Reply(200, body.replace(b"{{BASE}}", server.base.encode()))

    server = ArchiveServer(answer)
    for path, body in files.items():
        server.file(path, body)
    with server:
        port_out.put(server.base)
        while True:
            time.sleep(3600)


def inat_bucket(n: int) -> tuple[subprocess.Popen, str]:
    import boto3

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                      aws_secret_access_key="x")
    s3.create_bucket(Bucket="inaturalist-open-data", ACL="public-read")
    heads = {t: (DATA / "inaturalist" / f"{t}.csv").read_text().splitlines()[0] for t in
             ("photos", "observations", "taxa", "observers")}
    photos, observations = [heads["photos"]], [heads["observations"]]
    for i in range(n):
        obs = f"00000000-0000-4000-8000-{i:012d}"
        photos.append(f"00000000-1111-4000-8000-{i:012d}\t{200000 + i}\t{obs}\t1001\tjpeg\tCC0\t320\t240\t0")
        observations.append(f"{obs}\t1001\t41.8\t-87.6\t10\t48662\tresearch\t2021-07-04\t1.0")
        s3.put_object(Bucket="inaturalist-open-data", Key=f"photos/{200000 + i}/large.jpeg", Body=image(20000 + i),
                      ContentType="image/jpeg", ACL="public-read")
    tables = {"photos": photos, "observations": observations,
              "taxa": (DATA / "inaturalist" / "taxa.csv").read_text().splitlines(),
              "observers": (DATA / "inaturalist" / "observers.csv").read_text().splitlines()}
    for name, lines in tables.items():
        s3.put_object(Bucket="inaturalist-open-data", Key=f"{name}.csv.gz",
                      Body=gzip.compress(("\n".join(lines) + "\n").encode()), ACL="public-read")
    return proc, endpoint


def run(kind: str, n: int, work: Path) -> float:
    env = {**os.environ, "PDCORPUS_CONTACT": "mailto:bench@example.org",
           "PDCORPUS_HOST_LIMITS": str(work / "limits")}
    stop = None
    if kind == "inaturalist":
        proc, endpoint = inat_bucket(n)
        stop = proc.terminate
        env.update({"INAT_BUCKET": "s3://inaturalist-open-data", "INAT_S3_ENDPOINT": endpoint,
                    "INAT_PHOTOS": f"{endpoint}/inaturalist-open-data/photos", "INAT_RPS": "100000",
                    "INAT_BURST": "1000", "INAT_ALLOW_PRIVATE": "true", "INAT_OUTPUT": str(work / "out"),
                    "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"})
    else:
        queue: mp.Queue = mp.Queue()
        proc = mp.Process(target=serve, args=(queue, kind, n), daemon=True)
        proc.start()
        base = queue.get(timeout=120)
        stop = proc.terminate
        prefix = kind.upper()
        env.update({f"{prefix}_RPS": "100000", f"{prefix}_BURST": "1000", f"{prefix}_ALLOW_PRIVATE": "true",
                    f"{prefix}_OUTPUT": str(work / "out")})
        env[f"{prefix}_API"] = f"{base}/w/api.php" if kind == "commons" else f"{base}/public/collection/v1"
    try:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pdcorpus.cli", "build", str(ROOT / "pipelines" / kind /
                               "corpus.yaml"), "--workers", "1", "-q"], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
    finally:
        stop()
    if done.returncode != 0:
        raise SystemExit(f"{kind}: build failed:\n{done.stderr}")
    manifest = json.loads((work / "out" / "manifest.json").read_text())
    read = manifest["sources"][kind]["records_read"]
    assert read == n, (kind, read)
    return read / wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", choices=["commons", "met", "inaturalist"])
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; {args.records} records")
    for kind in [args.only] if args.only else ["commons", "met", "inaturalist"]:
        rates = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                rates.append(run(kind, args.records, Path(tmp)))
        print(f"{kind}: {statistics.median(rates):.1f} records/s (median of {args.runs}; "
              f"{', '.join(f'{r:.1f}' for r in rates)})")


if __name__ == "__main__":
    main()
