package svc

// Limits at least as strict as the reference's columns.
const (
	maxTitleLen    = 128
	maxCoverLen    = 128
	maxFileNameLen = 256
	maxURLLen      = 4096 // bytes; real courseware URLs are far shorter
	// A user binds at most maxBindsPerPlace files to one room (or to their
	// library) and maxBindsPerUser in all.
	maxBindsPerPlace = 200
	maxBindsPerUser  = 2000
	maxPageSize      = 50
)

// roomNum reads a required int roomnum; invalid is the errorInfo for a
// value of another type (the reference's commands differ in it).
func roomNum(b Body, invalid string) (int64, error) {
	if !b.Has("roomnum") {
		return 0, E(CodeReqData, "Lack of roomnum")
	}
	n, ok := b.Int("roomnum")
	if !ok {
		return 0, E(CodeReqData, invalid)
	}
	return n, nil
}

// roomNumLoose reads a required roomnum that may be a string (intval).
func roomNumLoose(b Body, invalid string) (int64, error) {
	if !b.Has("roomnum") {
		return 0, E(CodeReqData, "Lack of roomnum")
	}
	n, ok := b.IntOrString("roomnum")
	if !ok {
		return 0, E(CodeReqData, invalid)
	}
	return n, nil
}

// optInt reads an optional int field (0 when absent or null); invalid is
// the errorInfo for a value of another type.
func optInt(b Body, k, invalid string) (int64, error) {
	if !b.Has(k) {
		return 0, nil
	}
	n, ok := b.Int(k)
	if !ok {
		return 0, E(CodeReqData, invalid)
	}
	return n, nil
}

// page reads the required index (>= 0) and size (0..50).
func page(b Body) (index, size int64, err error) {
	if !b.Has("index") {
		return 0, 0, E(CodeReqData, "Lack of page index")
	}
	index, ok := b.Int("index")
	if !ok || index < 0 {
		return 0, 0, E(CodeReqData, "Page index should be a non-negative integer")
	}
	if !b.Has("size") {
		return 0, 0, E(CodeReqData, "Lack of page size")
	}
	size, ok = b.Int("size")
	if !ok || size < 0 || size > maxPageSize {
		return 0, 0, E(CodeReqData, "Page size should be a positive integer(not larger than 50)")
	}
	return index, size, nil
}
