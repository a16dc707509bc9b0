//go:build !linux

package svc

func lowerThreadPriority() {}
