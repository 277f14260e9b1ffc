// The node id kept in the data directory (kernel/src/node_identity.h): the
// same kartond gets the same id back after a restart, another directory or
// a directory made on another host gets its own.
#include "node_identity.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace karton::kernel {
namespace {

std::filesystem::path NewDirectory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "karton-node-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::string FileContent(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string HostName() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

TEST(PersistentNodeId, IsKeptAcrossRestartsAndOwnToEachDirectory) {
  const auto first = NewDirectory();
  const auto second = NewDirectory();
  const std::string id = PersistentNodeId(first);
  EXPECT_EQ(id.rfind(HostName() + ":", 0), 0u) << id;
  EXPECT_EQ(id.size(), HostName().size() + 17) << id;
  EXPECT_EQ(FileContent(first / "node.id"), id);
  EXPECT_EQ(PersistentNodeId(first), id);  // the restart
  EXPECT_NE(PersistentNodeId(second), id);
  EXPECT_FALSE(std::filesystem::exists(first / "node.id.tmp"));
  std::filesystem::remove_all(first);
  std::filesystem::remove_all(second);
}

TEST(PersistentNodeId, ADirectoryFromAnotherHostOrADamagedFileGetsANewId) {
  const auto directory = NewDirectory();
  for (const std::string& kept :
       {std::string("elsewhere.example:0123456789abcdef"), HostName() + ":not-hex-at-all!",
        HostName() + ":0123", std::string("")}) {
    std::ofstream(directory / "node.id", std::ios::trunc) << kept << "\n";
    const std::string id = PersistentNodeId(directory);
    EXPECT_NE(id, kept);
    EXPECT_EQ(id.rfind(HostName() + ":", 0), 0u) << id;
    EXPECT_EQ(FileContent(directory / "node.id"), id);
    EXPECT_EQ(PersistentNodeId(directory), id);
  }
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace karton::kernel
