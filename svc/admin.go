package svc

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"sxb-edu/store"
)

// What the operator console does through the service: the same effects,
// locks and IM messages as the protocol's commands.

// msgRemoved tells a class that an operator removed a member.
const msgRemoved = 1005

// AdminEndRoom ends a living class as its teacher's exitroom does: state
// 2 and the class-end IM message (with the teacher's id).
func (s *Service) AdminEndRoom(ctx context.Context, id int64) error {
	room, unlock, err := s.lockedRoom(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	if room.State != store.StateLiving {
		return E(CodeRoomState, "only state=living room can exit")
	}
	teacher, err := s.Store.UID(ctx, room.HostUin)
	if err != nil {
		return err
	}
	seq, err := s.sendMsg(ctx, room.AppID, id, msgClassEnd, s.now(), uidValue{teacher})
	if err != nil {
		return err
	}
	if err := s.Store.EndRoom(ctx, id, seq, s.now(), seconds(s.Cfg.ReplayIdxDelay)); err != nil {
		return err
	}
	s.event(ctx, "end", id, room.HostUin)
	return nil
}

// AdminStartRoom starts a created class as its teacher's startcourse
// does: the class-start IM message (with the teacher's id), state 1, the
// teacher present.
func (s *Service) AdminStartRoom(ctx context.Context, id int64) error {
	room, unlock, err := s.lockedRoom(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	if room.State != store.StateCreated {
		return E(CodeRoomState, " only state=created room can start a course")
	}
	teacher, err := s.Store.UID(ctx, room.HostUin)
	if err != nil {
		return err
	}
	seq, err := s.sendMsg(ctx, room.AppID, id, msgClassStart, s.now(), uidValue{teacher})
	if err != nil {
		return err
	}
	if err := s.Store.StartRoom(ctx, id, room.HostUin, seq, s.now()); err != nil {
		return err
	}
	s.event(ctx, "start", id, room.HostUin)
	return nil
}

// AdminUnblock lets a removed member enter class id again; false when
// they were not removed.
func (s *Service) AdminUnblock(ctx context.Context, id, uin int64) (bool, error) {
	return s.Store.Unremove(ctx, id, uin)
}

// AdminRemoveMember takes uin out of class id for good: it leaves, cannot
// enter again (reportmemid answers CodeRemoved), and a living class is
// told by an IM message (type 1005, the member's id).
func (s *Service) AdminRemoveMember(ctx context.Context, id, uin int64) error {
	room, unlock, err := s.lockedRoom(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	if uin == room.HostUin {
		return errors.New("the teacher cannot be removed from their own class: end it instead")
	}
	uid, err := s.Store.UID(ctx, uin)
	if err != nil {
		return err
	}
	if err := s.Store.RemoveMember(ctx, id, uin, s.now()); err != nil {
		return err
	}
	if room.State == store.StateLiving {
		if _, err := s.sendMsg(ctx, room.AppID, id, msgRemoved, s.now(), uidValue{uid}); err != nil {
			return fmt.Errorf("removed, but the class was not told: %w", err)
		}
	}
	return nil
}

// lockedRoom takes room id's lock (as start and end do) and reads it.
func (s *Service) lockedRoom(ctx context.Context, id int64) (*store.Room, func(), error) {
	unlock, err := s.lockRoom(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	room, err := s.Store.Room(ctx, id)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return room, unlock, nil
}

// AdminUnbind removes a file bound to class id by uin; false when no such
// binding is there.
func (s *Service) AdminUnbind(ctx context.Context, id, uin int64, url string) (bool, error) {
	return s.Store.Unbind(ctx, id, uin, url)
}

// AdminSignOut ends uin's session on every server; false when it had none.
func (s *Service) AdminSignOut(ctx context.Context, uin int64) (bool, error) {
	return s.Store.SignOut(ctx, uin, s.now())
}

// AdminResetPassword sets an account's password and signs it out.
func (s *Service) AdminResetPassword(ctx context.Context, uin int64, pwd string) error {
	if len(pwd) < 6 {
		return errors.New("a password needs at least 6 characters")
	}
	var hash []byte
	err := s.hashing(ctx, hashLogin, func() (err error) {
		// Apps send base64 of the password; pwdKey is what they log in with.
		hash, err = bcrypt.GenerateFromPassword(pwdKey(pwd), cmp.Or(s.Cfg.HashCost, DefaultHashCost))
		return err
	})
	if err != nil {
		return err
	}
	if err := s.Store.SetPassword(ctx, uin, string(hash)); err != nil {
		return err
	}
	_, err = s.Store.SignOut(ctx, uin, s.now())
	return err
}
