// The name a kartond claims jobs and event subscriptions under, kept in
// its data directory (`node.id`) so that the same kartond, restarted after
// a crash, knows the claims it held and takes them back at once instead of
// waiting out their leases (up to claim + webhook timeout for a webhook).
//
// Safe because the data directory is locked by one live kartond at a time
// (server.cpp's DataDirectoryLock): call this only while holding that
// lock. The id starts with the host name; a data directory copied to
// another host (a cloned volume, an image with a data directory baked in)
// gets a fresh id there, so two live replicas never share one.
#pragma once

#include <filesystem>
#include <string>

namespace karton::kernel {

// The id kept in `<data_dir>/node.id` when it was made on this host, else
// a new one, written there first ("<host>:<16 hex digits>").
std::string PersistentNodeId(const std::filesystem::path& data_dir);

}  // namespace karton::kernel
