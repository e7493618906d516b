#include "crsim/data/results_file.h"

#include <hdf5.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>
#include <utility>

namespace crsim::data {

namespace {

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error("HDF5: " + what); }

hid_t Check(hid_t id, const std::string& what) {
  if (id < 0) Fail(what);
  return id;
}

void Check(herr_t status, const std::string& what) {
  if (status < 0) Fail(what);
}

// Closes an HDF5 handle at scope exit.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

void EnsureParentGroups(hid_t file, const std::string& path) {
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string group = path.substr(0, slash);
    if (H5Lexists(file, group.c_str(), H5P_DEFAULT) > 0) continue;
    Handle created(Check(H5Gcreate2(file, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create group " + group),
                   H5Gclose);
  }
}

template <typename T>
void WriteDataset(hid_t file, const std::string& path, hid_t type, std::span<const T> values) {
  EnsureParentGroups(file, path);
  const hsize_t dims[1] = {values.size()};
  Handle space(Check(H5Screate_simple(1, dims, nullptr), "dataspace for " + path), H5Sclose);
  Handle dataset(Check(H5Dcreate2(file, path.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                       "create dataset " + path),
                 H5Dclose);
  if (!values.empty()) Check(H5Dwrite(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "write " + path);
}

template <typename T>
std::vector<T> ReadDataset(hid_t file, const std::string& path, hid_t type) {
  Handle dataset(Check(H5Dopen2(file, path.c_str(), H5P_DEFAULT), "open dataset " + path), H5Dclose);
  Handle space(Check(H5Dget_space(dataset.get()), "dataspace of " + path), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  std::vector<T> values(static_cast<std::size_t>(count));
  if (count > 0) Check(H5Dread(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "read " + path);
  return values;
}

void WriteAttribute(hid_t file, const std::string& object_path, const std::string& name, hid_t type,
                    const void* value) {
  Handle object(Check(H5Oopen(file, object_path.c_str(), H5P_DEFAULT), "open " + object_path), H5Oclose);
  Handle space(Check(H5Screate(H5S_SCALAR), "scalar dataspace"), H5Sclose);
  Handle attribute(Check(H5Acreate2(object.get(), name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                         "create attribute " + name),
                   H5Aclose);
  Check(H5Awrite(attribute.get(), type, value), "write attribute " + name);
}

}  // namespace

ResultsFile ResultsFile::Create(const std::filesystem::path& final_path) {
  std::filesystem::path temporary = final_path;
  temporary += ".tmp-" + std::to_string(::getpid());
  // The 1.8 object-header format stores an attribute too large for the header (over 64 KB, such as
  // the scenario text of a calibrated scenario with thousands of codes) in dense storage; the
  // default earliest format cannot hold it at all.
  Handle access(Check(H5Pcreate(H5P_FILE_ACCESS), "file access property list"), H5Pclose);
  Check(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), "set the HDF5 format version");
  const hid_t file = H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get());
  if (file < 0) Fail("cannot create " + temporary.string());
  return ResultsFile(final_path, temporary, file);
}

ResultsFile::ResultsFile(std::filesystem::path final_path, std::filesystem::path temporary_path, std::int64_t file)
    : final_path_(std::move(final_path)), temporary_path_(std::move(temporary_path)), file_(file) {}

ResultsFile::ResultsFile(ResultsFile&& other) noexcept
    : final_path_(std::move(other.final_path_)),
      temporary_path_(std::move(other.temporary_path_)),
      file_(std::exchange(other.file_, -1)) {}

ResultsFile::~ResultsFile() {
  if (file_ >= 0) {
    H5Fclose(file_);
    std::error_code ignored;
    std::filesystem::remove(temporary_path_, ignored);
  }
}

void ResultsFile::SetAttribute(const std::string& object_path, const std::string& name, const std::string& value) {
  Handle type(Check(H5Tcopy(H5T_C_S1), "string type"), H5Tclose);
  Check(H5Tset_size(type.get(), value.empty() ? 1 : value.size()), "string size");
  Check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "string charset");
  const char* data = value.empty() ? "" : value.data();
  WriteAttribute(file_, object_path, name, type.get(), data);
}

void ResultsFile::SetAttribute(const std::string& object_path, const std::string& name, std::int64_t value) {
  WriteAttribute(file_, object_path, name, H5T_NATIVE_INT64, &value);
}

void ResultsFile::SetAttribute(const std::string& object_path, const std::string& name, double value) {
  WriteAttribute(file_, object_path, name, H5T_NATIVE_DOUBLE, &value);
}

void ResultsFile::CreateGroup(const std::string& group_path) { EnsureParentGroups(file_, group_path + "/"); }

void ResultsFile::WriteSeries(const std::string& dataset_path, std::span<const double> values) {
  WriteDataset(file_, dataset_path, H5T_NATIVE_DOUBLE, values);
}

void ResultsFile::WriteSeries(const std::string& dataset_path, std::span<const std::int64_t> values) {
  WriteDataset(file_, dataset_path, H5T_NATIVE_INT64, values);
}

void ResultsFile::WriteSeries(const std::string& dataset_path, std::span<const std::int32_t> values) {
  WriteDataset(file_, dataset_path, H5T_NATIVE_INT32, values);
}

void ResultsFile::WriteSeries(const std::string& dataset_path, std::span<const std::int8_t> values) {
  WriteDataset(file_, dataset_path, H5T_NATIVE_INT8, values);
}

namespace {
hid_t VariableStringType() {
  const hid_t type = Check(H5Tcopy(H5T_C_S1), "string type");
  Check(H5Tset_size(type, H5T_VARIABLE), "variable string size");
  Check(H5Tset_cset(type, H5T_CSET_UTF8), "string charset");
  return type;
}
}  // namespace

void ResultsFile::WriteStrings(const std::string& dataset_path, const std::vector<std::string>& values) {
  std::vector<const char*> pointers;
  for (const std::string& value : values) pointers.push_back(value.c_str());
  Handle type(VariableStringType(), H5Tclose);
  WriteDataset(file_, dataset_path, type.get(), std::span<const char* const>(pointers));
}

void ResultsFile::Commit() {
  const hid_t file = std::exchange(file_, -1);
  if (H5Fclose(file) < 0) {
    std::filesystem::remove(temporary_path_);
    Fail("cannot close " + temporary_path_.string());
  }
  std::error_code error;
  std::filesystem::rename(temporary_path_, final_path_, error);
  if (error) {
    std::filesystem::remove(temporary_path_);
    throw std::runtime_error("cannot rename " + temporary_path_.string() + " to " + final_path_.string() + ": " +
                             error.message());
  }
}

ResultsReader::ResultsReader(const std::filesystem::path& path) {
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) Fail("cannot open " + path.string());
}

ResultsReader::~ResultsReader() {
  if (file_ >= 0) H5Fclose(file_);
}

bool ResultsReader::Exists(const std::string& object_path) const {
  return H5Lexists(file_, object_path.c_str(), H5P_DEFAULT) > 0;
}

std::vector<double> ResultsReader::ReadDoubles(const std::string& dataset_path) const {
  return ReadDataset<double>(file_, dataset_path, H5T_NATIVE_DOUBLE);
}

std::vector<std::int64_t> ResultsReader::ReadIntegers(const std::string& dataset_path) const {
  return ReadDataset<std::int64_t>(file_, dataset_path, H5T_NATIVE_INT64);
}

std::vector<std::string> ResultsReader::ReadStrings(const std::string& dataset_path) const {
  Handle type(VariableStringType(), H5Tclose);
  Handle dataset(Check(H5Dopen2(file_, dataset_path.c_str(), H5P_DEFAULT), "open dataset " + dataset_path), H5Dclose);
  Handle space(Check(H5Dget_space(dataset.get()), "dataspace of " + dataset_path), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  std::vector<char*> pointers(static_cast<std::size_t>(count), nullptr);
  if (count > 0) {
    Check(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), "read " + dataset_path);
  }
  std::vector<std::string> values(pointers.begin(), pointers.end());
  if (count > 0) H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, pointers.data());
  return values;
}

std::string ResultsReader::ReadStringAttribute(const std::string& object_path, const std::string& name) const {
  Handle attribute(Check(H5Aopen_by_name(file_, object_path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                         "open attribute " + name),
                   H5Aclose);
  Handle type(Check(H5Aget_type(attribute.get()), "attribute type"), H5Tclose);
  std::string value(H5Tget_size(type.get()), '\0');
  Check(H5Aread(attribute.get(), type.get(), value.data()), "read attribute " + name);
  while (!value.empty() && value.back() == '\0') value.pop_back();
  return value;
}

std::int64_t ResultsReader::ReadIntegerAttribute(const std::string& object_path, const std::string& name) const {
  Handle attribute(Check(H5Aopen_by_name(file_, object_path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                         "open attribute " + name),
                   H5Aclose);
  std::int64_t value = 0;
  Check(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), "read attribute " + name);
  return value;
}

}  // namespace crsim::data
