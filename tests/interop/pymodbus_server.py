#!/usr/bin/python3
"""A Modbus TCP device we did not write: a pymodbus 3.0 server on 127.0.0.1 (a free port) whose
holding and input registers hold known values of every type in every byte order, encoded by
pymodbus's own BinaryPayloadBuilder. Prints one JSON line {"port": ..., "points": [...]}, then
serves for at most LIFETIME seconds (default 60) or until terminated.

    /usr/bin/python3 pymodbus_server.py [LIFETIME]
"""
import asyncio
import json
import logging
import struct
import sys

from pymodbus.constants import Endian
from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server.async_io import ModbusTcpServer

UNIT = 7
# houqin's byte order -> pymodbus (byteorder within a register, wordorder of registers)
ORDERS = {
    "abcd": (Endian.Big, Endian.Big),
    "cdab": (Endian.Big, Endian.Little),
    "badc": (Endian.Little, Endian.Big),
    "dcba": (Endian.Little, Endian.Little),
}
VALUES = [
    ("int16", "add_16bit_int", -12345),
    ("uint16", "add_16bit_uint", 54321),
    ("int32", "add_32bit_int", -123456789),
    ("uint32", "add_32bit_uint", 3123456789),
    ("int64", "add_64bit_int", -1234567890123456),
    ("uint64", "add_64bit_uint", 12345678901234567890),
    ("float32", "add_32bit_float", 123.456),
    ("float64", "add_64bit_float", -9876.54321),
]
TEXT = "HQ-PYMODBUS"


def layout():
    registers, points = [], []
    for order, (byteorder, wordorder) in ORDERS.items():
        for data_type, method, value in VALUES:
            builder = BinaryPayloadBuilder(byteorder=byteorder, wordorder=wordorder)
            getattr(builder, method)(value)
            regs = builder.to_registers()
            if data_type == "float32":  # what a float32 can hold of the value
                value = struct.unpack(">f", struct.pack(">f", value))[0]
            points.append({"name": f"{data_type}_{order}", "address": len(registers),
                           "data_type": data_type, "byte_order": order, "raw": value})
            registers += regs
        # Strings: pymodbus packs the first character into the high byte; byte-swapped
        # devices put it in the low byte.
        builder = BinaryPayloadBuilder()
        builder.add_string(TEXT.encode())
        regs = builder.to_registers()
        if order in ("badc", "dcba"):
            regs = [((r & 0xFF) << 8) | (r >> 8) for r in regs]
        points.append({"name": f"string_{order}", "address": len(registers),
                       "data_type": "string", "byte_order": order, "length": len(TEXT),
                       "text": TEXT})
        registers += regs
    return registers, points


async def main(lifetime):
    registers, points = layout()
    bits = [True, False, True, True, False, False, True, False, True]
    block = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(0, registers),
        ir=ModbusSequentialDataBlock(0, list(registers)),
        co=ModbusSequentialDataBlock(0, bits),
        di=ModbusSequentialDataBlock(0, list(reversed(bits))),
        zero_mode=True,
    )
    context = ModbusServerContext(slaves={UNIT: block}, single=False)
    server = ModbusTcpServer(context, address=("127.0.0.1", 0))
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    port = server.server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "unit": UNIT, "points": points, "coils": bits,
                      "discrete_inputs": list(reversed(bits))}), flush=True)
    try:
        await asyncio.wait_for(task, timeout=lifetime)
    except asyncio.TimeoutError:
        pass
    await server.shutdown()


if __name__ == "__main__":
    logging.disable(logging.CRITICAL)
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 60))
