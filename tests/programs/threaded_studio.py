"""One sic bo table driven by the main thread while a serial-reader thread reports the
devices; three rounds, then exits 0."""

from __future__ import annotations

import threading

from sicbo_controller import DeviceReader, DiceCamera, SerialPort, TableApi

TABLE = "SBO-001"
ROUNDS = 3


def main() -> None:
    port = SerialPort()
    devices = DeviceReader(TABLE, port)
    reader = threading.Thread(target=devices.run, name="serial-reader")
    reader.start()
    api = TableApi(TABLE, first_round=5001)
    camera = DiceCamera(port)
    for _ in range(ROUNDS):
        round_id = api.start_round()
        devices.round_id = round_id
        devices.shaker_at_rest.clear()
        port.write("SHAKE")
        devices.shaker_at_rest.wait(timeout=10)
        api.stop_bets(round_id)
        camera.request_detection(TABLE, round_id)
        dice = devices.dice.get(timeout=10)
        api.send_result(round_id, dice)
        api.finish_round(round_id)
    port.close()
    reader.join(timeout=10)


if __name__ == "__main__":
    main()
    print("threaded_studio.py: done")
