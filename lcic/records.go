package lcic

import (
	"context"

	"sxb-edu/store"
)

func init() {
	actions["DeleteRecord"] = (*Service).deleteRecord
	actions["BatchDeleteRecord"] = (*Service).batchDeleteRecord
}

// maxBatchRooms bounds BatchDeleteRecord's list.
const maxBatchRooms = 100

// recordView adds a room's recordings to DescribeRoom's answer: the first
// file's URL as RecordUrl (and ReplayUrl, its older name), once the
// class is over.
func recordView(out map[string]any, state int, recs []store.Recording) {
	if len(recs) == 0 || state == store.StateLiving {
		return
	}
	out["RecordUrl"], out["ReplayUrl"] = recs[0].VideoURL, recs[0].VideoURL
}

func (s *Service) deleteRecord(ctx context.Context, c *call) (any, error) {
	id, err := roomID(c)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.room(ctx, c, id); err != nil {
		return nil, err
	}
	if _, err := s.d.DeleteRecordings(ctx, id); err != nil {
		return nil, fail("FailedOperation", "the recordings were not deleted: %v", err)
	}
	return map[string]any{}, nil
}

func (s *Service) batchDeleteRecord(ctx context.Context, c *call) (any, error) {
	var p struct {
		RoomIds  []int64
		SdkAppId *uint64
	}
	if err := c.bind(&p); err != nil {
		return nil, err
	}
	if err := c.app(p.SdkAppId, false); err != nil {
		return nil, err
	}
	if len(p.RoomIds) == 0 {
		return nil, fail("MissingParameter", "RoomIds is required")
	}
	if len(p.RoomIds) > maxBatchRooms {
		return nil, fail("InvalidParameter", "at most %d RoomIds", maxBatchRooms)
	}
	// Every room must be the app's before any is touched.
	for _, id := range p.RoomIds {
		if _, _, err := s.room(ctx, c, id); err != nil {
			return nil, err
		}
	}
	deleted := []int64{}
	for _, id := range p.RoomIds {
		n, err := s.d.DeleteRecordings(ctx, id)
		if err != nil {
			return nil, fail("FailedOperation", "the recordings of room %d were not deleted (those of %v were): %v", id, deleted, err)
		}
		if n > 0 {
			deleted = append(deleted, id)
		}
	}
	return map[string]any{"RoomIds": deleted}, nil
}
