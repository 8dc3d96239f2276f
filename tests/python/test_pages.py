"""The pages shipped with houqind, in headless Chromium (Debian chromium and chromium-driver,
driven by python3-selenium), on SQLite in a file and PostgreSQL: houqind runs the platform host,
the telemetry of a Modbus simulator's gas panel and power meter, and the HTTP server. The test
reports a repair from a room's QR URL without an account, dispatches it on the phone page as the
desk, accepts, starts and completes it with the parts used as the technician, watches a live gas
value change on the dashboard and acknowledges an alarm there, opens the emergency plan that
covers the alarm's point (steps and duty roster) and activates it as an incident. Screenshots
(Chinese rendered with fonts-noto-cjk) are kept in <build>/test-artefacts/pages/."""

import json
import os
import pathlib
import shutil
import subprocess
import threading
import time

import pytest

import houqin
from conftest import HOSPITAL, PASSWORD, Platform

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import (NoSuchElementException,  # noqa: E402
                                        StaleElementReferenceException, WebDriverException)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

BUILD = pathlib.Path(os.environ.get("HOUQIN_BUILD_DIR", pathlib.Path(__file__).parents[2] / "build" / "release"))
DAEMON = BUILD / "bindings" / "http" / "houqind"
ARTEFACTS = BUILD / "test-artefacts" / "pages"


def _wait(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


class Daemon:
    """houqind on a config file; its stdout is read on a thread; stops with SIGTERM."""

    def __init__(self, config_path):
        self.proc = subprocess.Popen([str(DAEMON), "--config", str(config_path)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        assert _wait(lambda: any("listening on" in l for l in self.lines), 60), self.lines
        line = [l for l in self.lines if "listening on" in l][0]
        self.url = line.split("listening on ")[1].strip().rstrip("/")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self):
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


@pytest.fixture
def browser():
    chromium = shutil.which("chromium")
    driver_bin = shutil.which("chromedriver")
    if not chromium or not driver_bin:
        pytest.fail("chromium and chromium-driver are needed (./dev.sh installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--lang=zh-CN", "--window-size=1280,1000", "--no-first-run"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    from selenium.webdriver.chrome.service import Service
    service = Service(executable_path=driver_bin)
    d = webdriver.Chrome(options=options, service=service)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


def shoot(driver, backend, name):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / ("%s-%s.png" % (backend, name))
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, path  # a page, not a blank


def sign_in(driver, login):
    form = WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
        EC.visibility_of_element_located((By.ID, "login-form")))
    form.find_element(By.NAME, "login").send_keys(login)
    form.find_element(By.NAME, "password").send_keys(PASSWORD)
    form.find_element(By.TAG_NAME, "button").click()


def sign_out(driver):
    """Signs out and waits for the page to reload (the sign-out reloads it) and ask for a login.
    While the document is replaced, the browser may answer any query about the old one with an
    error: the waits ride those out."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, "logout").click()
    patient = WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,))
    patient.until(EC.staleness_of(old))
    patient.until(EC.visibility_of_element_located((By.ID, "login-form")))


def click_action(driver, card_id, action, seconds=20):
    """Clicks the button of `action` on the card `card_id` once it is there (again if the page
    redrew the card between finding the button and clicking it)."""
    selector = "#%s button[data-action='%s']" % (card_id, action)

    def click(d):
        try:
            button = d.find_element(By.CSS_SELECTOR, selector)
            if not button.is_enabled():
                return False
            button.click()
            return True
        except (NoSuchElementException, StaleElementReferenceException):
            return False

    WebDriverWait(driver, seconds).until(click)


def attribute(driver, element_id, name):
    """An attribute read in the page itself: never stale, None while the element is missing."""
    return driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e && e.getAttribute(arguments[1]);",
        element_id, name)


def text(driver, element_id):
    return driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.textContent : null;",
        element_id)


def test_report_dispatch_complete_watch_gas_and_acknowledge_an_alarm(shared_store_url, key_file,
                                                                      tmp_path, browser):
    backend = "postgresql" if shared_store_url.startswith("postgresql") else "sqlite"
    sim = houqin.drivers.Simulator(update_interval_ms=100)
    gas_points = sim.add_gas_panel(unit_id=1, first_id=1)
    sim.add_power_meter(unit_id=2, first_id=100)
    sim.start()
    with houqin.Store(shared_store_url, key_file=key_file, migrate=True) as store:
        platform = Platform(store)
        houqin.site.import_hospital(store, str(HOSPITAL))
        houqin.drivers.import_point_map(store, sim.point_map())
        room = store.find(houqin.site.Room, limit=1)[0]
        staff = store.find(houqin.site.Staff, limit=2)
        admin = platform.user_with("boss", "boss", ["repair.configure"])
        houqin.services.repair.save_technician(store, admin, staff_id=staff[0].id, team="电工班")
        desk = platform.auth.create_user(platform.actor("sysadmin"), "desk", "服务台", PASSWORD)
        platform.auth.define_role(platform.actor("secadmin"), "desk", "desk",
                                  ["repair.report", "repair.dispatch", "bi.read", "telemetry.read",
                                   "telemetry.ack", "telemetry.shelve", "emergency.read",
                                   "emergency.activate"])
        platform.auth.grant(platform.actor("secadmin"), desk, "desk")
        tech = platform.auth.create_user(platform.actor("sysadmin"), "tech", "李师傅", PASSWORD,
                                         staff_id=staff[0].id)
        platform.auth.define_role(platform.actor("secadmin"), "tech", "tech",
                                  ["repair.report", "repair.work"])
        platform.auth.grant(platform.actor("secadmin"), tech, "tech")
        # The plan that covers the oxygen source pressure, with who is on duty.
        o2 = [p for p in gas_points if p.name == "o2_pressure"][0]
        planner = platform.user_with("planner", "planner", ["emergency.manage"])
        houqin.services.emergency.save_plan(
            store, planner, code="O2-SOURCE", scenario="medical_gas_failure",
            title="医用氧气供应中断应急预案",
            levels=[{"level": "I", "criteria": "氧气源压力异常", "actions": "切换备用汇流排"}],
            organisation=[{"role": "总指挥", "staff_id": staff[1].id, "duties": "决策、上报"}],
            reporting_chain=["动力班组", "后勤保障部"],
            steps=[{"action": "确认报警并通知动力班组", "role": "值班员", "within_minutes": 0},
                   {"action": "切换至备用汇流排", "role": "现场处置组", "within_minutes": 5}],
            alarm_point_ids=[o2.id])

        config = {
            "store": shared_store_url,
            "keys_file": str(key_file),
            "http": {"port": 0, "workers": 2},
            "host": {"telemetry": {"wal_dir": str(tmp_path / "wal")}, "health_every": "PT0S",
                     "bi_check": "PT0S"},
            "run_for": "PT300S",
        }
        (tmp_path / "houqind.json").write_text(json.dumps(config))
        daemon = Daemon(tmp_path / "houqind.json")
        try:
            # 1. A room's QR code opens the phone page: a report without an account.
            browser.get(daemon.url + "/m/?room=" + room.code)
            form = WebDriverWait(browser, 20).until(
                EC.visibility_of_element_located((By.ID, "report-form")))
            assert browser.find_element(By.ID, "report-room").get_attribute("value") == room.code
            form.find_element(By.NAME, "description").send_keys("病房灯不亮")
            Select(form.find_element(By.NAME, "category")).select_by_value("electrical")
            form.find_element(By.ID, "report-submit").click()
            msg = WebDriverWait(browser, 20).until(
                EC.visibility_of_element_located((By.CSS_SELECTOR, "#report-msg.ok")))
            code = msg.get_attribute("data-code")
            assert code and code in msg.text
            shoot(browser, backend, "1-report")
            order = [o for o in store.find(houqin.repair.WorkOrder) if o.code == code][0]
            assert order.room_id == room.id and order.description == "病房灯不亮"
            assert order.status == houqin.repair.Status.reported

            # 2. The desk signs in on the phone page and dispatches it (APP派工).
            browser.get(daemon.url + "/m/#orders")
            sign_in(browser, "desk")
            card = "order-" + code
            pick = WebDriverWait(browser, 20).until(EC.visibility_of_element_located(
                (By.CSS_SELECTOR, "#%s select[name='technician']" % card)))
            Select(pick).select_by_value(str(staff[0].id))
            shoot(browser, backend, "2-dispatch")
            click_action(browser, card, "dispatch")
            assert _wait(lambda: store.get(houqin.repair.WorkOrder, order.id).status
                         == houqin.repair.Status.dispatched)
            sign_out(browser)

            # 3. The technician accepts, starts and completes it with two parts used.
            browser.get(daemon.url + "/m/#orders")
            sign_in(browser, "tech")
            click_action(browser, card, "accept")
            WebDriverWait(browser, 20).until(EC.presence_of_element_located(
                (By.CSS_SELECTOR, "#%s[data-status='accepted']" % card)))
            click_action(browser, card, "start")
            parts = WebDriverWait(browser, 20).until(EC.visibility_of_element_located(
                (By.CSS_SELECTOR, "#%s[data-status='in_progress'] input[name='parts_used']" % card)))
            parts.clear()
            parts.send_keys("2")
            shoot(browser, backend, "3-complete")
            click_action(browser, card, "complete")
            assert _wait(lambda: store.get(houqin.repair.WorkOrder, order.id).status
                         == houqin.repair.Status.completed)
            done = store.get(houqin.repair.WorkOrder, order.id)
            assert done.parts_used == 2 and done.technician_id == staff[0].id
            sign_out(browser)

            # 4. The dashboard: a live gas value changes while the page stays open.
            browser.get(daemon.url + "/")
            sign_in(browser, "desk")
            cell = "value-%d" % o2.id
            WebDriverWait(browser, 30).until(lambda d: text(d, cell) not in (None, "", "–"))
            first = text(browser, cell)
            WebDriverWait(browser, 30).until(lambda d: text(d, cell) not in (None, first))
            assert float(text(browser, cell)) > 0
            assert browser.execute_script("return !!window.Chart")  # libjs-chart.js is served
            # A year of the gas pressures by the day, from the stored hourly rollups (and the
            # blocks not written yet): the chart switches range and draws what there is.
            Select(browser.find_element(By.ID, "trend-range")).select_by_value("year")
            WebDriverWait(browser, 20).until(
                lambda d: attribute(d, "chart-gas", "data-range") == "year"
                and int(attribute(d, "chart-gas", "data-buckets") or 0) >= 1)
            shoot(browser, backend, "4-dashboard-year")
            Select(browser.find_element(By.ID, "trend-range")).select_by_value("live")
            WebDriverWait(browser, 20).until(
                lambda d: attribute(d, "chart-gas", "data-range") == "live")

            # 5. The oxygen pressure spikes: the alarm shows up and is acknowledged.
            sim.set_fault(1, spike_reads=40, spike_factor=1.4)
            row = "alarm-%d-hi" % o2.id
            WebDriverWait(browser, 40).until(
                lambda d: attribute(d, row, "data-state") == "unacknowledged")
            shoot(browser, backend, "4-dashboard-alarm")
            click_action(browser, row, "ack")
            WebDriverWait(browser, 20).until(
                lambda d: attribute(d, row, "data-state") not in (None, "unacknowledged"))
            shoot(browser, backend, "5-dashboard-acknowledged")

            # 6. The plan that covers the oxygen pressure: its steps and who is on duty, then
            # activated at level I as an incident tied to the alarm.
            click_action(browser, row, "plan")
            WebDriverWait(browser, 20).until(
                lambda d: attribute(d, "plan", "data-plan") == "O2-SOURCE")
            assert "切换至备用汇流排" in text(browser, "plan-steps")
            assert staff[1].name in text(browser, "plan-roster")
            browser.execute_script("document.getElementById('plan-card').scrollIntoView()")
            shoot(browser, backend, "6-dashboard-plan")
            click_action(browser, "plan", "activate")
            WebDriverWait(browser, 20).until(lambda d: attribute(d, "plan-msg", "data-code"))
            incident_code = attribute(browser, "plan-msg", "data-code")
            assert "后勤服务台" in browser.title
        except Exception:
            # What the page showed and said, for whoever reads the failure.
            ARTEFACTS.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(ARTEFACTS / ("%s-failure.png" % backend)))
            for entry in browser.get_log("browser"):
                print("browser:", entry.get("level"), entry.get("message"))
            print("\n".join(daemon.lines))
            raise
        finally:
            sim.clear_faults()
            status = daemon.stop()
            sim.stop()
        assert status == 0, "\n".join(daemon.lines)
        # The acknowledgement is the desk's, audited with the browser's address.
        records = store.find(houqin.audit.Record)
        ack = [r for r in records if r.action == "telemetry.acknowledge_alarm"]
        assert ack and ack[-1].actor == "user:desk" and ack[-1].origin.startswith("http 127.0.0.1")
        # The activation is a real incident of the plan, tied to the alarm's point.
        incident = [i for i in store.find(houqin.emergency.Incident) if i.code == incident_code][0]
        assert incident.plan_code == "O2-SOURCE" and incident.point_id == o2.id
        assert incident.activated_by == "user:desk"
