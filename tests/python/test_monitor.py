"""Self-monitoring scraped by a real Prometheus server (Debian prometheus, on loopback): the
library's metrics served in the Prometheus text format from this process, scraped, and queried
back through Prometheus's HTTP API: the repair operations this test made, counted."""

import http.server
import json
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request

import houqin
from conftest import HOSPITAL, Platform


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _query(port, expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)["data"]["result"]


def test_prometheus_scrapes_the_metrics_and_reads_them_back(key_file, tmp_path):
    with houqin.Store("sqlite::memory:", key_file=key_file, migrate=True) as store:
        platform = Platform(store)
        houqin.site.import_hospital(store, str(HOSPITAL))
        ops = platform.user_with("ops", "ops", ["monitor.read", "repair.report"])
        room = store.find(houqin.site.Room, limit=1)[0]
        for i in range(3):
            houqin.services.repair.report(store, ops, room_id=room.id, description=f"灯不亮 {i}",
                                          category="electrical")
        lock = threading.Lock()
        scrapes = []

        class Metrics(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server interface)
                if self.path != "/metrics":
                    self.send_error(404)
                    return
                with lock:
                    doc = houqin.services.monitor.prometheus(store, ops)
                    scrapes.append(self.headers.get("User-Agent", ""))
                body = doc["data"].encode()
                self.send_response(200)
                self.send_header("Content-Type", doc["content_type"])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        prom_port = _free_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: houqin\n    static_configs:\n"
            f"      - targets: ['127.0.0.1:{server.server_address[1]}']\n")
        prom = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            expr = 'houqin_operation_seconds_count{job="houqin",operation="repair.report"}'
            result, deadline = [], time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    result = _query(prom_port, expr)
                except OSError:
                    result = []  # not listening yet
                if result:
                    break
                time.sleep(0.5)
            assert result, "Prometheus never read houqin_operation_seconds_count back"
            assert float(result[0]["value"][1]) == 3
            assert any("Prometheus" in agent for agent in scrapes)
            up = _query(prom_port, 'up{job="houqin"}')
            assert up and float(up[0]["value"][1]) == 1
            # The store's calls are there too, as a histogram Prometheus can take quantiles of.
            q = _query(prom_port, 'histogram_quantile(0.99, sum by (le) '
                                  '(houqin_store_seconds_bucket{job="houqin"}))')
            assert q and float(q[0]["value"][1]) > 0
        finally:
            prom.terminate()
            try:
                prom.wait(timeout=20)
            except subprocess.TimeoutExpired:
                prom.kill()
            server.shutdown()
