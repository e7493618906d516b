// ResultsFile: a small HDF5 writer that never leaves a truncated file under its final name.
//
// Create() opens "<final>.tmp-<pid>" beside the final path; Commit() closes it and renames it over
// the final path (rename is atomic on POSIX file systems). If the writer is destroyed without
// Commit() (an exception, a crash in between) the temporary file is removed, so readers only ever
// see complete files. Groups along a dataset's path are created on demand.
//
// ResultsReader reads back what the writer wrote (tests and tools).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace crsim::data {

class ResultsFile {
 public:
  static ResultsFile Create(const std::filesystem::path& final_path);
  ResultsFile(ResultsFile&& other) noexcept;
  ResultsFile& operator=(ResultsFile&&) = delete;
  ResultsFile(const ResultsFile&) = delete;
  ~ResultsFile();

  // Attributes on an object (group or dataset) that already exists, e.g. "/" or "/strategies/topk".
  void SetAttribute(const std::string& object_path, const std::string& name, const std::string& value);
  void SetAttribute(const std::string& object_path, const std::string& name, std::int64_t value);
  void SetAttribute(const std::string& object_path, const std::string& name, double value);

  void CreateGroup(const std::string& group_path);
  void WriteSeries(const std::string& dataset_path, std::span<const double> values);
  void WriteSeries(const std::string& dataset_path, std::span<const std::int64_t> values);
  void WriteSeries(const std::string& dataset_path, std::span<const std::int32_t> values);
  void WriteSeries(const std::string& dataset_path, std::span<const std::int8_t> values);
  // A 1-D dataset of variable-length UTF-8 strings.
  void WriteStrings(const std::string& dataset_path, const std::vector<std::string>& values);

  // Closes the file and renames it to its final path. Throws std::runtime_error on failure.
  void Commit();

  const std::filesystem::path& temporary_path() const { return temporary_path_; }

 private:
  ResultsFile(std::filesystem::path final_path, std::filesystem::path temporary_path, std::int64_t file);
  std::filesystem::path final_path_;
  std::filesystem::path temporary_path_;
  std::int64_t file_ = -1;  // hid_t
};

class ResultsReader {
 public:
  explicit ResultsReader(const std::filesystem::path& path);
  ~ResultsReader();
  ResultsReader(const ResultsReader&) = delete;
  ResultsReader& operator=(const ResultsReader&) = delete;

  bool Exists(const std::string& object_path) const;
  std::vector<double> ReadDoubles(const std::string& dataset_path) const;
  std::vector<std::int64_t> ReadIntegers(const std::string& dataset_path) const;  // any integer dataset
  std::vector<std::string> ReadStrings(const std::string& dataset_path) const;
  std::string ReadStringAttribute(const std::string& object_path, const std::string& name) const;
  std::int64_t ReadIntegerAttribute(const std::string& object_path, const std::string& name) const;

 private:
  std::int64_t file_ = -1;
};

}  // namespace crsim::data
