"""Write TensorBoard's own event.proto (and every .proto it imports) as a
FileDescriptorSet, taken from the descriptors of the `tensorboard` package's
generated *_pb2 modules (the PyPI wheel ships no .proto sources).
protoc --descriptor_set_in=<out> --cpp_out=... then compiles them for C++.

usage: python tensorboard_descriptors.py OUT.pb
Prints the names of the files in the set, one per line (google/protobuf/*
files, which libprotobuf already provides, are marked with a leading '-').
"""
import sys

from google.protobuf import descriptor_pb2
from tensorboard.compat.proto import event_pb2


def main(out_path):
    files = descriptor_pb2.FileDescriptorSet()
    seen = set()

    def add(fd):  # dependencies first, as protoc expects
        if fd.name in seen:
            return
        seen.add(fd.name)
        for dep in fd.dependencies:
            add(dep)
        proto = files.file.add()
        fd.CopyToProto(proto)

    add(event_pb2.DESCRIPTOR)
    with open(out_path, "wb") as f:
        f.write(files.SerializeToString())
    for proto in files.file:
        print(("-" if proto.name.startswith("google/protobuf/") else "") + proto.name)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
