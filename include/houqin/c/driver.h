/* houqin C ABI, driver plug-ins: a vendor's acquisition driver written in C (or any language that
 * can export C functions) as a versioned table of function pointers. houqin runs it under its
 * acquisition layer like the built-in Modbus driver, one thread per connection, and feeds its
 * readings into a telemetry runtime (houqin/c/telemetry.h: hq_acquisition_start()).
 *
 * Versioning: hq_driver_vtable only ever grows at its end. Its first field says which version of
 * the table the driver filled in; the library reads only the fields of that version, so a driver
 * built against older headers keeps working with a newer library. */
#ifndef HOUQIN_C_DRIVER_H
#define HOUQIN_C_DRIVER_H

#include "houqin/c/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Why a reading is (not) usable: houqin::drivers::Quality, append-only. */
typedef enum hq_quality {
  HQ_QUALITY_GOOD = 0,           /**< read and decoded */
  HQ_QUALITY_BAD_CONFIG = 1,     /**< the device rejects the request: the map is wrong for it */
  HQ_QUALITY_COMM_FAIL = 2,      /**< no answer: timeout, connection refused or lost */
  HQ_QUALITY_DEVICE_BUSY = 3,    /**< the device answered "busy" on every retry */
  HQ_QUALITY_DEVICE_FAILURE = 4, /**< the device reported a failure */
  HQ_QUALITY_INVALID_VALUE = 5   /**< read, but the value is no number (NaN, infinity) */
} hq_quality;

/** One point's reading of one poll, as a driver fills it in. */
typedef struct hq_reading {
  int64_t point_id; /**< set by the library (the point map's point id); do not change */
  int64_t time_us;  /**< UTC microseconds of the measurement; 0 (preset): the poll time */
  double value;     /**< engineering units; ignored unless quality is HQ_QUALITY_GOOD */
  int32_t quality;  /**< an hq_quality; preset to HQ_QUALITY_COMM_FAIL */
} hq_reading;

/** The newest hq_driver_vtable version this header describes. */
#define HQ_DRIVER_VTABLE_VERSION 1

/**
 * A driver. Every function gets the `payload` given to hq_acquisition_start() as its last
 * argument. Functions of one connection are called on that connection's thread only, one at a
 * time; different connections run on different threads at once, so state shared between
 * connections (through `payload`) needs the driver's own locking. The library holds no lock while
 * it calls a driver function. A driver function must not throw or longjmp through the library.
 */
typedef struct hq_driver_vtable {
  /** HQ_DRIVER_VTABLE_VERSION of the headers the driver was built with; always first */
  unsigned int version;
  /**
   * Opens one connection: the devices that share a TCP endpoint or a serial line. May be NULL
   * (the state is then NULL). Called on the connection's thread before its first read.
   * @param out_state     receives the driver's state for this connection (may stay NULL)
   * @param devices_json  `[{"device": {...}, "points": [{...}, ...]}, ...]` in the point map's
   *                      JSON form (docs/drivers.md); valid during the call only
   * @return 0 on success; any other value gives up on the connection (counted as an error by
   *         hq_acquisition_stats(); close is not called)
   */
  int (*open)(void** out_state, const char* devices_json, void* payload);
  /**
   * Reads every point of one device once. Required. Failures of the device or the link are
   * qualities: set each reading's `quality` (and `value`, and `time_us` when the device stamps
   * its values).
   * @param state     what open() returned
   * @param device    the index of the device in open()'s devices_json
   * @param readings  one per point of that device, in its point order, point_id set, quality
   *                  HQ_QUALITY_COMM_FAIL, time_us 0; valid during the call only
   * @param count     the number of readings
   * @return 0; any other value marks every reading of this poll HQ_QUALITY_COMM_FAIL
   */
  int (*read_points)(void* state, size_t device, hq_reading* readings, size_t count, void* payload);
  /** Closes the connection and frees `state`. May be NULL. Called on the connection's thread when
   *  the acquisition stops, once for every successful open(). */
  void (*close)(void* state, void* payload);
  /* ---- fields of later versions are appended here ---- */
} hq_driver_vtable;

#ifdef __cplusplus
}
#endif

#endif /* HOUQIN_C_DRIVER_H */
