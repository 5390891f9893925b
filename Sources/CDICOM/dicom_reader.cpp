// The C interface of CDICOM.h over GDCM. Every entry point catches every exception.
#include "CDICOM.h"

#include <gdcmImageReader.h>
#include <gdcmImage.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTrace.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <vector>

struct cvr_dicom {
    std::istringstream stream;  // GDCM's reader keeps a pointer to its stream
    gdcm::ImageReader reader;
    bool has_image = false;
    std::string warnings;
};

namespace {

// gdcm::Trace writes to process-global streams; one lock keeps every GDCM call (and the
// redirected streams) to one thread at a time.
std::mutex &gdcm_lock() {
    static std::mutex lock;
    return lock;
}

std::ostringstream &trace_sink() {
    static std::ostringstream sink;
    static bool installed = false;
    if (!installed) {
        gdcm::Trace::SetStream(sink);
        gdcm::Trace::SetWarningStream(sink);
        gdcm::Trace::SetErrorStream(sink);
        gdcm::Trace::SetDebugStream(sink);
        gdcm::Trace::DebugOff();
        installed = true;
    }
    return sink;
}

// Collapses GDCM's multi-line trace output into one line per message, without the
// source-file prefixes of its debug macros.
std::string take_trace() {
    std::ostringstream &sink = trace_sink();
    std::string text = sink.str();
    sink.str(std::string());
    sink.clear();
    std::string out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty()) continue;
        if (!out.empty()) out += '\n';
        out += line;
    }
    return out;
}

void set_message(char *message, size_t capacity, const std::string &text) {
    if (!message || capacity == 0) return;
    size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(message, text.data(), n);
    message[n] = 0;
}

void copy_text(char *out, size_t capacity, const char *text) {
    if (!out || capacity == 0) return;
    out[0] = 0;
    if (!text) return;
    std::strncpy(out, text, capacity - 1);
    out[capacity - 1] = 0;
}

// The last line of GDCM's trace, which usually says what failed.
std::string last_line(const std::string &trace) {
    size_t at = trace.rfind('\n');
    return at == std::string::npos ? trace : trace.substr(at + 1);
}

const gdcm::DataSet &dataset(const cvr_dicom *dicom) {
    return dicom->reader.GetFile().GetDataSet();
}

// The value representations of PS3.5 6.2 (2019 and later). GDCM reads an element with any
// other VR as if it had a 4-byte length: in an explicit VR data set it then takes value bytes
// for a length (a fuzzed "CS" became "C/": GDCM allocated 1.3 GB and spent 10 s on a 12 KB
// file) and no longer parses what the walks below checked. So an unknown VR is refused.
bool known_vr(char v0, char v1) {
    static const char *vrs[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB",
                                "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM",
                                "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
    for (const char *vr : vrs)
        if (vr[0] == v0 && vr[1] == v1) return true;
    return false;
}

// GDCM asserts (aborts the process) on some truncated File Meta Information groups, so the
// group 0002 elements after "DICM" are walked here first: every header and value must lie
// inside the data, with explicit VR little endian as PS3.10 7.1 requires for this group.
// Whether an explicit VR little endian element with this VR has the 12-byte header (a 4-byte
// length). file_meta_fits and meta_transfer_syntax must agree on it: the second reads what the
// first checked.
bool meta_long_vr(char v0, char v1) {
    static const char *long_vrs[] = {"OB", "OW", "OF", "SQ", "UT", "UN", "UC", "UR", "OD", "OL", "OV", "SV", "UV"};
    for (const char *candidate : long_vrs)
        if (candidate[0] == v0 && candidate[1] == v1) return true;
    return false;
}

bool file_meta_fits(const uint8_t *data, size_t size, std::string &reason) {
    size_t at = 132;
    bool any = false;
    while (at + 2 <= size) {
        uint16_t group = static_cast<uint16_t>(data[at] | (data[at + 1] << 8));
        if (group != 0x0002) break;
        if (at + 8 > size) { reason = "the file meta information is truncated"; return false; }
        const char vr[3] = {static_cast<char>(data[at + 4]), static_cast<char>(data[at + 5]), 0};
        bool long_form = meta_long_vr(vr[0], vr[1]);
        uint64_t length;
        size_t header;
        if (long_form) {
            if (at + 12 > size) { reason = "the file meta information is truncated"; return false; }
            length = static_cast<uint64_t>(data[at + 8]) | static_cast<uint64_t>(data[at + 9]) << 8
                | static_cast<uint64_t>(data[at + 10]) << 16 | static_cast<uint64_t>(data[at + 11]) << 24;
            header = 12;
        } else {
            if (!known_vr(vr[0], vr[1])) {
                reason = "the file meta information is not explicit VR little endian (an unknown VR)";
                return false;
            }
            length = static_cast<uint64_t>(data[at + 6]) | static_cast<uint64_t>(data[at + 7]) << 8;
            header = 8;
        }
        if (length == 0xFFFFFFFFull || at + header + length > size) {
            reason = "the file meta information is truncated or damaged";
            return false;
        }
        at += header + static_cast<size_t>(length);
        any = true;
    }
    if (!any) { reason = "no file meta information follows the DICM signature"; return false; }
    if (at + 8 > size) { reason = "the file ends after the file meta information (no data set)"; return false; }
    return true;
}

// GDCM also asserts when the data set is cut inside an element (FileMetaInformation::ReadCompat,
// "is.good()"). So the whole data set is walked first, element by element, sequences and
// encapsulated pixel data item by item: every header and defined-length value must fit.
struct Walker {
    const uint8_t *data;
    size_t size;
    bool explicit_vr;
    std::string reason;
    bool has_number_of_frames = false;
    bool has_frame_increment_pointer = false;
    // Samples per Pixel (0028,0002) of the top-level data set, when present as one US value.
    int samples_per_pixel = -1;
    std::string photometric;  // (0028,0004) of the top-level data set, padding kept

    uint16_t u16(size_t at) const { return static_cast<uint16_t>(data[at] | (data[at + 1] << 8)); }
    uint32_t u32(size_t at) const {
        return static_cast<uint32_t>(data[at]) | static_cast<uint32_t>(data[at + 1]) << 8
            | static_cast<uint32_t>(data[at + 2]) << 16 | static_cast<uint32_t>(data[at + 3]) << 24;
    }
    bool fail(const char *why) { reason = why; return false; }

    // Items of an undefined-length sequence or encapsulated pixel data, up to the sequence
    // delimiter. Items of undefined length hold a data set ending in an item delimiter.
    bool items(size_t &at, int depth) {
        while (true) {
            if (at + 8 > size) return fail("the data set is truncated inside a sequence");
            uint16_t group = u16(at), element = u16(at + 2);
            uint32_t length = u32(at + 4);
            if (group != 0xFFFE) return fail("a sequence holds something other than items");
            at += 8;
            if (element == 0xE0DD) return true;
            if (element != 0xE000) return fail("a sequence holds an unexpected delimiter");
            if (length == 0xFFFFFFFFu) {
                if (!dataset(at, depth + 1, true)) return false;
            } else {
                if (length > size - at) return fail("the data set is truncated inside a sequence item");
                at += length;
            }
        }
    }

    // Elements from `at` to the end (or to an item delimiter when `in_item`).
    bool dataset(size_t &at, int depth, bool in_item) {
        if (depth > 32) return fail("sequences are nested more than 32 deep");
        while (at < size) {
            if (at + 8 > size) return fail("the data set is truncated inside an element header");
            uint16_t group = u16(at), element = u16(at + 2);
            if (group == 0xFFFE) {
                if (in_item && element == 0xE00D) { at += 8; return true; }
                return fail("an item delimiter or item appears outside a sequence");
            }
            if (depth == 0 && group == 0x0028 && element == 0x0008) has_number_of_frames = true;
            if (depth == 0 && group == 0x0028 && element == 0x0009) has_frame_increment_pointer = true;
            uint64_t length;
            bool sequence_like = false;
            if (explicit_vr) {
                char v0 = static_cast<char>(data[at + 4]), v1 = static_cast<char>(data[at + 5]);
                if (!known_vr(v0, v1)) return fail("an element has an unknown value representation (VR)");
                bool long_form = (v0 == 'O' && (v1 == 'B' || v1 == 'W' || v1 == 'F' || v1 == 'D' || v1 == 'L' || v1 == 'V'))
                    || (v0 == 'S' && (v1 == 'Q' || v1 == 'V')) || (v0 == 'U' && (v1 == 'T' || v1 == 'N' || v1 == 'C'
                    || v1 == 'R' || v1 == 'V'));
                if (long_form) {
                    if (at + 12 > size) return fail("the data set is truncated inside an element header");
                    length = u32(at + 8);
                    at += 12;
                    sequence_like = true;
                } else {
                    length = u16(at + 6);
                    at += 8;
                }
            } else {
                length = u32(at + 4);
                at += 8;
                sequence_like = true;
            }
            if (length == 0xFFFFFFFFu) {
                if (!sequence_like) return fail("an element has an undefined length its VR does not allow");
                // Explicit VR: only SQ, UN and encapsulated Pixel Data may have an undefined length
                // (PS3.5 7.1.1); GDCM asserts on any other ("VRField == VR::UN" in
                // ExplicitDataElement::ReadValue, found on an OB element (7FE0,CD10)).
                if (explicit_vr) {
                    char v0 = static_cast<char>(data[at - 8]), v1 = static_cast<char>(data[at - 7]);
                    bool allowed = (v0 == 'S' && v1 == 'Q') || (v0 == 'U' && v1 == 'N')
                        || (group == 0x7FE0 && element == 0x0010);
                    if (!allowed) return fail("an element other than a sequence or Pixel Data has an undefined length");
                }
                // UN of undefined length holds implicit VR little endian items (PS3.5 6.2.2).
                bool saved = explicit_vr;
                if (explicit_vr && data[at - 8] == 'U' && data[at - 7] == 'N') explicit_vr = false;
                bool ok = items(at, depth);
                explicit_vr = saved;
                if (!ok) return false;
            } else {
                if (length > size - at) return fail("the data set is truncated (an element runs past the end of the file)");
                if (depth == 0 && group == 0x0028 && element == 0x0002 && length == 2) samples_per_pixel = u16(at);
                if (depth == 0 && group == 0x0028 && element == 0x0004 && length <= 64)
                    photometric.assign(reinterpret_cast<const char *>(data + at), static_cast<size_t>(length));
                at += static_cast<size_t>(length);
            }
        }
        if (in_item) return fail("the data set is truncated inside a sequence item");
        return true;
    }
};

// The transfer syntax UID of the file meta information, or "" when absent.
std::string meta_transfer_syntax(const uint8_t *data, size_t size, size_t &dataset_start) {
    size_t at = 132;
    std::string uid;
    while (at + 8 <= size && (data[at] | (data[at + 1] << 8)) == 0x0002) {
        uint16_t element = static_cast<uint16_t>(data[at + 2] | (data[at + 3] << 8));
        bool long_form = meta_long_vr(static_cast<char>(data[at + 4]), static_cast<char>(data[at + 5]));
        size_t header = long_form ? 12 : 8;
        if (at + header > size) break;
        size_t length = long_form ? (data[at + 8] | (data[at + 9] << 8) | (data[at + 10] << 16) | (static_cast<size_t>(data[at + 11]) << 24))
                                  : (data[at + 6] | (data[at + 7] << 8));
        // file_meta_fits checked every element; kept so this function is safe on its own.
        if (length > size - at - header) break;
        if (element == 0x0010) {
            uid.assign(reinterpret_cast<const char *>(data + at + header), length);
            while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' ')) uid.pop_back();
        }
        at += header + length;
    }
    dataset_start = at;
    return uid;
}

// Deflated Explicit VR Little Endian (PS3.5 A.5): the data set after the file meta group is
// one raw deflate stream (RFC 1951). GDCM inflates it while parsing and asserts on the same
// damage as in an uncompressed data set ("Should not happen" in ExplicitDataElement::ReadPreValue
// when the inflated data set ends inside an element header), so it is inflated here first and
// walked like an uncompressed one. A stream with a zlib header (RFC 1950), which some writers
// produce and GDCM also reads, is accepted too.
constexpr uint64_t kMaxInflatedBytes = uint64_t(4) << 30;

bool inflate_stream(const uint8_t *data, size_t size, bool zlib_header, std::vector<uint8_t> &out,
                    std::string &reason) {
    z_stream z{};
    if (inflateInit2(&z, zlib_header ? MAX_WBITS : -MAX_WBITS) != Z_OK) {
        reason = "the deflated data set cannot be inflated (zlib cannot start)";
        return false;
    }
    z.next_in = const_cast<Bytef *>(data);
    size_t consumed = 0;
    int status = Z_OK;
    out.clear();
    while (status == Z_OK) {
        if (out.size() >= kMaxInflatedBytes) break;
        size_t produced = out.size();
        out.resize(produced + (produced < (1u << 20) ? (1u << 16) : produced / 2));
        z.next_out = out.data() + produced;
        z.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, 1u << 30));
        size_t chunk = std::min<size_t>(size - consumed, 1u << 30);
        z.avail_in = static_cast<uInt>(chunk);
        status = inflate(&z, Z_NO_FLUSH);
        consumed += chunk - z.avail_in;
        out.resize(out.size() - z.avail_out);
        if (status == Z_BUF_ERROR && consumed < size) status = Z_OK;  // output was full
    }
    inflateEnd(&z);
    if (status == Z_STREAM_END) return true;
    if (out.size() >= kMaxInflatedBytes) reason = "the deflated data set inflates to more than 4 GiB";
    else if (status == Z_BUF_ERROR) reason = "the deflated data set is truncated (the deflate stream ends early)";
    else reason = "the deflated data set is damaged (not a valid deflate stream)";
    return false;
}

bool inflate_data_set(const uint8_t *data, size_t size, std::vector<uint8_t> &out, std::string &reason) {
    // Two bytes that pass the zlib header check may still begin a raw stream: then raw is tried.
    bool zlib_header = size >= 2 && (data[0] & 0x0F) == 8 && ((data[0] << 8) | data[1]) % 31 == 0;
    if (zlib_header && inflate_stream(data, size, true, out, reason)) return true;
    return inflate_stream(data, size, false, out, reason);
}

// What the walk found that GDCM (Debian's build, assertions on) aborts on, refused before it
// reads the file; the same for a plain and a deflated data set.
cvr_dicom_status refuse_what_gdcm_aborts_on(const Walker &walker, char *message, size_t message_capacity) {
    // A Frame Increment Pointer without Number of Frames (seen in RT Dose files).
    if (walker.has_frame_increment_pointer && !walker.has_number_of_frames) {
        set_message(message, message_capacity, "it has a Frame Increment Pointer but no Number of Frames");
        return CVR_DICOM_ERR_NOT_IMAGE;
    }
    // Any Samples per Pixel but 1, 3 or 4 (PixelFormat::SetSamplesPerPixel).
    if (walker.samples_per_pixel >= 0 && walker.samples_per_pixel != 1 && walker.samples_per_pixel != 3
        && walker.samples_per_pixel != 4) {
        set_message(message, message_capacity, "Samples per Pixel is " + std::to_string(walker.samples_per_pixel)
                    + " (1, 3 or 4 expected)");
        return CVR_DICOM_ERR_PARSE;
    }
    // PALETTE COLOR without its palette descriptors (PixmapReader::ReadImageInternal); cvrnet
    // does not read PALETTE COLOR at all. GDCM also takes a damaged value that is a prefix of
    // it ("PALETTE COL", found by fuzz-dicom) for PALETTE COLOR, so those are refused too.
    std::string pi = walker.photometric;
    while (!pi.empty() && (pi.back() == ' ' || pi.back() == '\0')) pi.pop_back();
    static const std::string palette = "PALETTE COLOR";
    if (pi.rfind("PALETTE", 0) == 0 || (!pi.empty() && palette.compare(0, pi.size(), pi) == 0)) {
        set_message(message, message_capacity, "photometric interpretation PALETTE COLOR is not read (only "
                    "grayscale MONOCHROME1/2 and 8-bit colour RGB, YBR_FULL, YBR_FULL_422)");
        return CVR_DICOM_ERR_NOT_IMAGE;
    }
    return CVR_DICOM_OK;
}

}  // namespace

extern "C" int cvr_dicom_has_signature(const uint8_t *data, size_t size) {
    return data && size >= 132 && std::memcmp(data + 128, "DICM", 4) == 0;
}

extern "C" cvr_dicom_status cvr_dicom_open(const uint8_t *data, size_t size, cvr_dicom **out,
                                           char *message, size_t message_capacity) {
    if (!out) return CVR_DICOM_ERR_ARGUMENT;
    *out = nullptr;
    if (!data && size > 0) return CVR_DICOM_ERR_ARGUMENT;
    if (!cvr_dicom_has_signature(data, size)) {
        set_message(message, message_capacity, "no DICM signature at byte 128");
        return CVR_DICOM_ERR_PARSE;
    }
    std::string meta_problem;
    if (!file_meta_fits(data, size, meta_problem)) {
        set_message(message, message_capacity, meta_problem);
        return CVR_DICOM_ERR_PARSE;
    }
    size_t dataset_start = 0;
    std::string syntax = meta_transfer_syntax(data, size, dataset_start);
    if (syntax == "1.2.840.10008.1.2.2") {
        set_message(message, message_capacity, "explicit VR big endian (retired) is not supported");
        return CVR_DICOM_ERR_NOT_IMAGE;
    }
    if (syntax == "1.2.840.10008.1.2.1.99") {
        // Deflated: the inflated data set is explicit VR little endian, walked as below.
        std::vector<uint8_t> inflated;
        std::string problem;
        bool ok;
        try {
            ok = inflate_data_set(data + dataset_start, size - dataset_start, inflated, problem);
        } catch (const std::bad_alloc &) {
            set_message(message, message_capacity, "out of memory while inflating the deflated data set");
            return CVR_DICOM_ERR_OUT_OF_MEMORY;
        }
        if (!ok) {
            set_message(message, message_capacity, problem);
            return CVR_DICOM_ERR_PARSE;
        }
        Walker walker{inflated.data(), inflated.size(), true, std::string()};
        size_t at = 0;
        if (!walker.dataset(at, 0, false)) {
            set_message(message, message_capacity, walker.reason + " (inflated)");
            return CVR_DICOM_ERR_PARSE;
        }
        cvr_dicom_status status = refuse_what_gdcm_aborts_on(walker, message, message_capacity);
        if (status != CVR_DICOM_OK) return status;
    } else {
        // Without a transfer syntax, guess as GDCM does: two upper-case letters after the
        // first tag are an explicit VR.
        bool explicit_vr = syntax != "1.2.840.10008.1.2";
        if (syntax.empty() && dataset_start + 6 <= size)
            explicit_vr = data[dataset_start + 4] >= 'A' && data[dataset_start + 4] <= 'Z'
                && data[dataset_start + 5] >= 'A' && data[dataset_start + 5] <= 'Z';
        Walker walker{data, size, explicit_vr, std::string()};
        size_t at = dataset_start;
        if (!walker.dataset(at, 0, false)) {
            set_message(message, message_capacity, walker.reason);
            return CVR_DICOM_ERR_PARSE;
        }
        cvr_dicom_status status = refuse_what_gdcm_aborts_on(walker, message, message_capacity);
        if (status != CVR_DICOM_OK) return status;
    }
    std::lock_guard<std::mutex> guard(gdcm_lock());
    cvr_dicom *dicom = nullptr;
    try {
        trace_sink();
        take_trace();
        dicom = new cvr_dicom();
        dicom->stream.str(std::string(reinterpret_cast<const char *>(data), size));
        dicom->reader.SetStream(dicom->stream);
        bool ok = dicom->reader.Read();
        dicom->warnings = take_trace();
        if (!ok) {
            const gdcm::DataSet &ds = dataset(dicom);
            cvr_dicom_status status;
            std::string reason;
            if (ds.IsEmpty()) {
                status = CVR_DICOM_ERR_PARSE;
                reason = "GDCM could not parse it as DICOM (truncated or damaged)";
            } else if (!ds.FindDataElement(gdcm::Tag(0x7fe0, 0x0010))) {
                status = CVR_DICOM_ERR_NOT_IMAGE;
                reason = "it has no Pixel Data element (not an image)";
            } else {
                status = CVR_DICOM_ERR_NOT_IMAGE;
                reason = "GDCM cannot read its image attributes";
            }
            if (!dicom->warnings.empty()) reason += " (GDCM: " + last_line(dicom->warnings) + ")";
            set_message(message, message_capacity, reason);
            delete dicom;
            return status;
        }
        dicom->has_image = true;
        *out = dicom;
        return CVR_DICOM_OK;
    } catch (const std::bad_alloc &) {
        delete dicom;
        take_trace();
        set_message(message, message_capacity, "out of memory while parsing");
        return CVR_DICOM_ERR_OUT_OF_MEMORY;
    } catch (const std::exception &error) {
        delete dicom;
        take_trace();
        set_message(message, message_capacity, std::string("GDCM could not parse it: ") + error.what());
        return CVR_DICOM_ERR_PARSE;
    } catch (...) {
        delete dicom;
        take_trace();
        set_message(message, message_capacity, "GDCM could not parse it");
        return CVR_DICOM_ERR_PARSE;
    }
}

extern "C" void cvr_dicom_close(cvr_dicom *dicom) {
    if (!dicom) return;
    std::lock_guard<std::mutex> guard(gdcm_lock());
    try { delete dicom; } catch (...) {}
}

extern "C" cvr_dicom_status cvr_dicom_get_info(const cvr_dicom *dicom, cvr_dicom_info *info) {
    if (!dicom || !info || !dicom->has_image) return CVR_DICOM_ERR_ARGUMENT;
    std::lock_guard<std::mutex> guard(gdcm_lock());
    try {
        std::memset(info, 0, sizeof *info);
        const gdcm::Image &image = dicom->reader.GetImage();
        const unsigned int *dims = image.GetDimensions();
        unsigned int ndims = image.GetNumberOfDimensions();
        info->columns = ndims >= 1 ? dims[0] : 0;
        info->rows = ndims >= 2 ? dims[1] : 0;
        info->frames = ndims >= 3 ? dims[2] : 1;
        const gdcm::PixelFormat &format = image.GetPixelFormat();
        info->bits_allocated = format.GetBitsAllocated();
        info->bits_stored = format.GetBitsStored();
        info->high_bit = format.GetHighBit();
        info->pixel_representation = format.GetPixelRepresentation();
        info->samples_per_pixel = format.GetSamplesPerPixel();
        // GDCM quietly repairs some inconsistent values (e.g. Bits Stored > Bits Allocated);
        // the values as stored are reported so that cvrnet can refuse such files.
        const gdcm::DataSet &ds = dataset(dicom);
        for (auto field : {std::make_pair(gdcm::Tag(0x0028, 0x0101), &info->bits_stored),
                           std::make_pair(gdcm::Tag(0x0028, 0x0102), &info->high_bit)}) {
            if (!ds.FindDataElement(field.first)) continue;
            const gdcm::ByteValue *value = ds.GetDataElement(field.first).GetByteValue();
            if (value && value->GetLength() == 2) {
                const unsigned char *b = reinterpret_cast<const unsigned char *>(value->GetPointer());
                *field.second = b[0] | (b[1] << 8);
            }
        }
        info->planar_configuration = static_cast<int32_t>(image.GetPlanarConfiguration());
        copy_text(info->photometric, sizeof info->photometric, image.GetPhotometricInterpretation().GetString());
        copy_text(info->transfer_syntax, sizeof info->transfer_syntax, image.GetTransferSyntax().GetString());
        return CVR_DICOM_OK;
    } catch (...) {
        return CVR_DICOM_ERR_ARGUMENT;
    }
}

extern "C" int cvr_dicom_get_string(const cvr_dicom *dicom, uint16_t group, uint16_t element,
                                    char *out, size_t capacity) {
    if (!dicom || !out || capacity == 0) return 0;
    out[0] = 0;
    std::lock_guard<std::mutex> guard(gdcm_lock());
    try {
        const gdcm::DataSet &ds = dataset(dicom);
        gdcm::Tag tag(group, element);
        if (!ds.FindDataElement(tag)) return 0;
        const gdcm::ByteValue *value = ds.GetDataElement(tag).GetByteValue();
        if (!value || !value->GetPointer()) return 0;
        std::string text(value->GetPointer(), value->GetLength());
        while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
        size_t first = text.find_first_not_of(' ');
        if (first == std::string::npos) return 0;
        copy_text(out, capacity, text.c_str() + first);
        return 1;
    } catch (...) {
        return 0;
    }
}

extern "C" int cvr_dicom_get_lut(const cvr_dicom *dicom, uint16_t sequence_element, uint16_t descriptor[3],
                                 uint16_t *data, size_t capacity, size_t *data_count) {
    if (!dicom || !descriptor || !data_count) return 0;
    *data_count = 0;
    std::lock_guard<std::mutex> guard(gdcm_lock());
    try {
        const gdcm::DataSet &ds = dataset(dicom);
        gdcm::Tag sequenceTag(0x0028, sequence_element);
        if (!ds.FindDataElement(sequenceTag)) return 0;
        gdcm::SmartPointer<gdcm::SequenceOfItems> items = ds.GetDataElement(sequenceTag).GetValueAsSQ();
        if (!items || items->GetNumberOfItems() < 1) return 0;
        const gdcm::DataSet &item = items->GetItem(1).GetNestedDataSet();
        const gdcm::Tag descriptorTag(0x0028, 0x3002), dataTag(0x0028, 0x3006);
        if (!item.FindDataElement(descriptorTag) || !item.FindDataElement(dataTag)) return 0;
        const gdcm::ByteValue *d = item.GetDataElement(descriptorTag).GetByteValue();
        const gdcm::ByteValue *v = item.GetDataElement(dataTag).GetByteValue();
        if (!d || !v || d->GetLength() < 6) return 0;
        const unsigned char *dp = reinterpret_cast<const unsigned char *>(d->GetPointer());
        for (int i = 0; i < 3; i++) descriptor[i] = static_cast<uint16_t>(dp[2 * i] | (dp[2 * i + 1] << 8));
        size_t words = v->GetLength() / 2;
        *data_count = words;
        const unsigned char *vp = reinterpret_cast<const unsigned char *>(v->GetPointer());
        for (size_t i = 0; i < words && i < capacity && data; i++)
            data[i] = static_cast<uint16_t>(vp[2 * i] | (vp[2 * i + 1] << 8));
        return 1;
    } catch (...) {
        *data_count = 0;
        return 0;
    }
}

extern "C" cvr_dicom_status cvr_dicom_read_frame(cvr_dicom *dicom, int64_t frame, int64_t max_pixels,
                                                 uint8_t *out, size_t out_size,
                                                 char *message, size_t message_capacity) {
    if (!dicom || !out || !dicom->has_image) return CVR_DICOM_ERR_ARGUMENT;
    std::lock_guard<std::mutex> guard(gdcm_lock());
    try {
        take_trace();
        const gdcm::Image &image = dicom->reader.GetImage();
        const unsigned int *dims = image.GetDimensions();
        unsigned int ndims = image.GetNumberOfDimensions();
        uint64_t columns = ndims >= 1 ? dims[0] : 0, rows = ndims >= 2 ? dims[1] : 0;
        uint64_t frames = ndims >= 3 ? dims[2] : 1;
        if (rows == 0 || columns == 0) {
            set_message(message, message_capacity, "the image has zero rows or columns");
            return CVR_DICOM_ERR_NOT_IMAGE;
        }
        if (frame < 0 || static_cast<uint64_t>(frame) >= frames) {
            set_message(message, message_capacity, "frame " + std::to_string(frame + 1) + " is past the last frame ("
                        + std::to_string(frames) + ")");
            return CVR_DICOM_ERR_ARGUMENT;
        }
        if (max_pixels > 0 && rows * columns > static_cast<uint64_t>(max_pixels)) {
            set_message(message, message_capacity, "too many pixels");
            return CVR_DICOM_ERR_TOO_LARGE;
        }
        const gdcm::PixelFormat &format = image.GetPixelFormat();
        uint64_t bytesPerSample = format.GetBitsAllocated() / 8;
        uint64_t frameBytes = rows * columns * format.GetSamplesPerPixel() * bytesPerSample;
        if (frameBytes == 0 || frameBytes > out_size) {
            set_message(message, message_capacity, "output buffer does not match the frame size");
            return CVR_DICOM_ERR_ARGUMENT;
        }
        // GDCM decodes all frames at once; bound the whole buffer by the per-frame limit
        // times the frame count only through the declared length it reports.
        unsigned long total = image.GetBufferLength();
        if (total < frameBytes * (static_cast<uint64_t>(frame) + 1)) {
            set_message(message, message_capacity, "the declared pixel data is shorter than the image attributes require");
            return CVR_DICOM_ERR_DECODE;
        }
        std::vector<char> buffer(total);
        bool ok = image.GetBuffer(buffer.data());
        dicom->warnings += (dicom->warnings.empty() ? "" : "\n") + take_trace();
        while (!dicom->warnings.empty() && dicom->warnings.back() == '\n') dicom->warnings.pop_back();
        if (!ok) {
            std::string reason = std::string("GDCM could not decode the pixel data (transfer syntax ")
                + image.GetTransferSyntax().GetString() + ")";
            if (!dicom->warnings.empty()) reason += ": " + last_line(dicom->warnings);
            set_message(message, message_capacity, reason);
            return CVR_DICOM_ERR_DECODE;
        }
        std::memcpy(out, buffer.data() + frameBytes * static_cast<uint64_t>(frame), frameBytes);
        return CVR_DICOM_OK;
    } catch (const std::bad_alloc &) {
        take_trace();
        set_message(message, message_capacity, "out of memory while decoding the pixel data");
        return CVR_DICOM_ERR_OUT_OF_MEMORY;
    } catch (const std::exception &error) {
        take_trace();
        set_message(message, message_capacity, std::string("GDCM failed while decoding: ") + error.what());
        return CVR_DICOM_ERR_DECODE;
    } catch (...) {
        take_trace();
        set_message(message, message_capacity, "GDCM failed while decoding the pixel data");
        return CVR_DICOM_ERR_DECODE;
    }
}

extern "C" const char *cvr_dicom_warnings(const cvr_dicom *dicom) {
    return dicom ? dicom->warnings.c_str() : "";
}
